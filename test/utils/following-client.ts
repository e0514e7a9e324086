import {
  createClient,
  MemoryStorage,
  type Envelope,
  type NamespaceHandle,
  type SwitchboardClient,
} from '../../packages/client/src/index.js';
import { Waitable } from './sdk';
import { judgeEnvelopes } from './traffic';

/**
 * A dashboard across server restarts, worker kills and load-balancer failovers: the real
 * @switchboard/client (its reconnection, resubscription from the last position, and dedupe),
 * recording every event its handlers receive and every session it had, so a test can judge it.
 */
export class FollowingClient extends Waitable {
  readonly envelopes: Envelope[] = [];
  /** `session.node` of every connection this client had, in order. */
  readonly nodes: string[] = [];
  notRecovered = 0;
  private readonly client: SwitchboardClient;
  private readonly handle: NamespaceHandle<'orders'>;
  private readonly subscribed = new Set<string>();
  private readonly log: string[] = [];

  private constructor(
    url: string,
    namespace: string,
    token: string,
    private readonly channels: readonly string[],
    transports: ('websocket' | 'polling')[],
  ) {
    super();
    if (namespace !== '/orders') throw new Error('FollowingClient follows /orders');
    const note = (what: string) => this.log.push(`${Date.now() % 100000} ${what}`);
    this.client = createClient({
      url,
      token,
      transports,
      storage: new MemoryStorage(),
      reconnect: { baseDelayMs: 100, maxDelayMs: 1000 },
      // Generous: four workers starting on two cores can take seconds to answer; an abandoned attempt would count as a second connection.
      connectTimeoutMs: 15_000,
      wake: false,
      // Keeps cookies in Node (a load balancer's stickiness cookie), as a browser would.
      socket: { withCredentials: true },
      onResync: () => {
        this.notRecovered += 1;
        this.changed();
      },
      onError: (error) => note(`error ${error.code}`),
    });
    this.handle = this.client.namespace('orders');
    this.handle.onState((change) => note(`${change.state}${change.error ? ` ${change.error.code} ${change.error.message}` : ''}`));
    this.handle.on('session', (session) => {
      note(`session ${session.node}`);
      this.nodes.push(session.node);
      this.changed();
    });
    for (const channel of channels) {
      this.handle.subscribe(
        channel,
        (envelope) => {
          this.envelopes.push(envelope);
          this.changed();
        },
        {
          onSubscribed: () => {
            this.subscribed.add(channel);
            this.changed();
          },
        },
      );
    }
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
    await client.until(() => client.subscribed.size === channels.length, 15_000);
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

  /**
   * Missing events and gaps in what the handlers received, and the duplicates the SDK dropped
   * before they reached them (redelivered after a replay or catch-up).
   */
  judge(accepted: ReadonlyMap<string, readonly string[]>): { missing: number; duplicatesDropped: number; gaps: number } {
    const { missing, gaps } = judgeEnvelopes((channel) => this.envelopes.filter((envelope) => envelope.channel === channel), accepted);
    const duplicatesDropped = this.channels.reduce((sum, channel) => sum + (this.handle.stats(channel)?.duplicatesDropped ?? 0), 0);
    return { missing, gaps, duplicatesDropped };
  }

  override until(predicate: () => boolean, timeoutMs: number): Promise<void> {
    return super.until(predicate, timeoutMs, () => `(${this.describe()})`);
  }

  /** For failure messages: where this client is and how it got there. */
  describe(): string {
    return `connections: ${this.nodes.join(', ')}; state: ${this.handle.state}; envelopes: ${this.envelopes.length}; log: ${this.log.slice(-12).join(' | ')}`;
  }

  close(): void {
    this.client.close();
  }
}
