import { io, type Socket } from 'socket.io-client';
import { judgeEnvelopes } from './traffic';
import type { BatchPayload, Envelope, SessionPayload, SubscribeAck } from '../../src/realtime/realtime.events';

/**
 * A client that behaves like a real dashboard across server restarts: socket.io-client's own
 * reconnection, and on every (re)connect a subscribe per channel with `since` = the last
 * position it applied. It records every envelope (duplicates included) so a test can judge it.
 */
export class FollowingClient {
  readonly envelopes: Envelope[] = [];
  /** `session.node` of every connection this client had, in order. */
  readonly nodes: string[] = [];
  notRecovered = 0;
  readonly socket: Socket;
  private readonly positions = new Map<string, { epoch: string; seq: number }>();
  private readonly waiters = new Set<() => void>();

  private constructor(
    url: string,
    namespace: string,
    token: string,
    private readonly channels: readonly string[],
    transports: ('websocket' | 'polling')[],
  ) {
    this.socket = io(`${url}${namespace}`, {
      auth: { token },
      transports,
      forceNew: true,
      // Keeps cookies in Node (a load balancer's stickiness cookie), as a browser would.
      withCredentials: true,
      reconnection: true,
      reconnectionDelay: 100,
      reconnectionDelayMax: 1000,
      timeout: 5000,
    });
    const note = (what: string) => this.log.push(`${Date.now() % 100000} ${what}`);
    this.socket.on('disconnect', (reason) => note(`disconnect ${reason}`));
    this.socket.on('connect_error', (error) => note(`connect_error ${error.message}`));
    this.socket.io.on('reconnect_attempt', (n) => note(`attempt ${n}`));
    this.socket.on('session', (session: SessionPayload) => {
      note(`session ${session.node}`);
      this.nodes.push(session.node);
      void this.resubscribe();
    });
    this.socket.onAny((event: string, payload: unknown) => {
      if (event === 'batch') for (const envelope of (payload as BatchPayload).events) this.apply(envelope);
      else if (event.includes(':') && typeof payload === 'object' && payload !== null && 'seq' in payload && 'id' in payload) {
        this.apply(payload as Envelope);
      }
      this.notify();
    });
  }

  /** Connects and resolves once every channel is subscribed. */
  static async open(
    url: string,
    namespace: string,
    token: string,
    channels: readonly string[],
    transports: ('websocket' | 'polling')[] = ['websocket'],
  ): Promise<FollowingClient> {
    const client = new FollowingClient(url, namespace, token, channels, transports);
    await client.until(() => client.positions.size === channels.length, 15_000);
    return client;
  }

  get connections(): number {
    return this.nodes.length;
  }

  /** The node serving the current connection. */
  get node(): string {
    return this.nodes[this.nodes.length - 1];
  }

  ids(): Set<string> {
    return new Set(this.envelopes.map((envelope) => envelope.id));
  }

  /** Envelopes dropped by the protocol's dedupe rule (seq ≤ last applied, same epoch), and gaps left after it. */
  judge(accepted: ReadonlyMap<string, readonly string[]>): { missing: number; duplicatesDropped: number; gaps: number } {
    return judgeEnvelopes((channel) => this.envelopes.filter((envelope) => envelope.channel === channel), accepted);
  }

  until(predicate: () => boolean, timeoutMs: number): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`condition not met within ${timeoutMs} ms (${this.describe()})`));
      }, timeoutMs);
      const check = () => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }

  /** For failure messages: where this client is and how it got there. */
  describe(): string {
    const engine = this.socket.io.engine as { transport?: { name: string } } | undefined;
    return `connections: ${this.nodes.join(', ')}; connected: ${this.socket.connected}; transport: ${engine?.transport?.name}; envelopes: ${this.envelopes.length}; log: ${this.log.slice(-12).join(' | ')}`;
  }

  private readonly log: string[] = [];

  close(): void {
    this.socket.disconnect();
  }

  private apply(envelope: Envelope): void {
    this.envelopes.push(envelope);
    const last = this.positions.get(envelope.channel);
    if (!last || last.epoch !== envelope.epoch || envelope.seq > last.seq) {
      this.positions.set(envelope.channel, { epoch: envelope.epoch, seq: envelope.seq });
    }
  }

  private async resubscribe(): Promise<void> {
    for (const channel of this.channels) {
      const since = this.positions.get(channel);
      const ack = (await this.socket
        .timeout(10_000)
        .emitWithAck('subscribe', since ? { channel, since } : { channel })
        .catch(() => undefined)) as (SubscribeAck & { ok: boolean }) | undefined;
      if (!ack?.ok) continue; // the connection dropped mid-way: the next `session` resubscribes
      if ('recovered' in ack && ack.recovered === false) this.notRecovered += 1;
      if (!this.positions.has(channel)) this.positions.set(channel, { epoch: ack.epoch, seq: ack.seq });
    }
    this.notify();
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
