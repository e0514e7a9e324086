import type { Manager, Socket } from 'socket.io-client';
import type { ChannelStats } from './channel-state.js';
import { ConnectionSupervisor, type ConnectionOptions } from './connection.js';
import { ClientErrorCode, SwitchboardError } from './errors.js';
import { PositionStore } from './positions.js';
import type { KeyValueStorage } from './storage.js';
import { isErrorAck, Subscriptions, type SubscribeOptions } from './subscriptions.js';
import type { TokenSource } from './token-source.js';
import type {
  Ack,
  BatchPayload,
  ChannelResetPayload,
  ConnectionState,
  Envelope,
  ErrorContext,
  EventHandler,
  ListenableEventName,
  ListenerOf,
  NamespaceName,
  Position,
  RefreshAck,
  RequestName,
  RequestPayload,
  RequestResult,
  ResyncContext,
  ResyncReason,
  SessionPayload,
  StateChange,
} from './types.js';
import type { WakeReason } from './wake.js';

export type { SnapshotOf, SubscribedInfo, SubscribeOptions } from './subscriptions.js';

export interface HandleContext {
  readonly manager: Manager;
  readonly tokens: TokenSource;
  readonly storage: KeyValueStorage;
  /** Names the server in storage keys. */
  readonly serverKey: string;
  readonly storageScope: string;
  readonly connection: ConnectionOptions;
  readonly requestTimeoutMs: number;
  readonly onResync?: (channel: string, reason: ResyncReason, context: ResyncContext) => void | Promise<void>;
  readonly onError?: (error: SwitchboardError, context: ErrorContext) => void;
}

function isEnvelope(event: string, payload: unknown): payload is Envelope {
  const candidate = payload as Partial<Envelope> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    candidate.event === event &&
    typeof candidate.channel === 'string' &&
    typeof candidate.epoch === 'string' &&
    typeof candidate.seq === 'number' &&
    typeof candidate.id === 'string'
  );
}

/**
 * One namespace of one client: a Socket.IO socket kept connected by its supervisor, and the
 * channels followed on it. Every (re)connection resubscribes each channel from its last position;
 * `batch` frames are unpacked, duplicates dropped, gaps healed, and resyncs announced (ChannelState).
 */
export class NamespaceHandle<N extends NamespaceName> {
  private readonly socket: Socket;
  private readonly supervisor: ConnectionSupervisor;
  private readonly positions: PositionStore;
  private readonly subscriptions: Subscriptions<N>;
  private readonly stateListeners = new Set<(change: StateChange) => void>();
  private readonly waiters = new Set<{ resolve(session: SessionPayload): void; reject(error: SwitchboardError): void }>();
  private readonly offToken: () => void;

  constructor(
    readonly name: N,
    private readonly context: HandleContext,
  ) {
    this.socket = context.manager.socket(`/${name}`, { auth: (send) => send({ token: context.tokens.peek() }) });
    this.positions = new PositionStore(context.storage, [context.serverKey, name, context.storageScope]);
    this.subscriptions = new Subscriptions<N>({
      namespace: name,
      socket: this.socket,
      positions: this.positions,
      requestTimeoutMs: context.requestTimeoutMs,
      session: () => this.session,
      ...(context.onResync ? { onResync: context.onResync } : {}),
      report: (error, channel) => this.report(error, channel),
    });
    this.supervisor = new ConnectionSupervisor(
      this.socket,
      context.manager,
      context.tokens,
      {
        session: (session) => this.onSession(session),
        lost: () => this.subscriptions.onLost(),
        state: (change) => this.emitState(change),
        error: (error) => this.report(error),
      },
      context.connection,
    );
    this.socket.on('batch', (payload: BatchPayload) => {
      for (const envelope of payload?.events ?? []) this.subscriptions.receiveEvent(envelope);
    });
    this.socket.on('channel:reset', (payload: ChannelResetPayload) => this.subscriptions.receiveReset(payload));
    this.socket.onAny((event: string, payload: unknown) => {
      if (isEnvelope(event, payload)) this.subscriptions.receiveEvent(payload);
    });
    this.offToken = context.tokens.onToken((token) => void this.sendRefresh(token));
    // Next microtask: listeners attached right after namespace() see the first `connecting`.
    queueMicrotask(() => this.supervisor.start());
  }

  get state(): ConnectionState {
    return this.supervisor.state;
  }

  /** The current connection's `session`, while connected. */
  get session(): SessionPayload | undefined {
    return this.supervisor.connectedSession;
  }

  /**
   * Follows `channel`: `handler` gets each event once, in seq order, across reconnects and
   * restarts (from the stored position). Returns the function that stops following it.
   */
  subscribe(channel: string, handler: EventHandler<N>, options: SubscribeOptions<N> = {}): () => void {
    if (typeof channel !== 'string' || channel.length === 0)
      throw new TypeError('subscribe(channel, handler): channel must be a channel name');
    if (typeof handler !== 'function') throw new TypeError('subscribe(channel, handler): handler must be a function');
    return this.subscriptions.add(channel, handler, options);
  }

  /** Listens to a server event that is not a channel event (`session`, `sync:connected`, …); returns the function that stops. */
  on<E extends ListenableEventName<N>>(event: E, listener: ListenerOf<N, E>): () => void {
    const socket = this.socket as unknown as { on(event: string, listener: unknown): void; off(event: string, listener: unknown): void };
    socket.on(event, listener);
    return () => socket.off(event, listener);
  }

  /** Sends a command and resolves with its successful ack; an error ack rejects with its code. Waits for a connection first. */
  async request<E extends RequestName<N>>(
    event: E,
    payload: RequestPayload<N, E>,
    options: { readonly timeoutMs?: number } = {},
  ): Promise<RequestResult<N, E>> {
    const timeoutMs = options.timeoutMs ?? this.context.requestTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    await this.ready({ timeoutMs });
    let ack: unknown;
    try {
      ack = await this.socket.timeout(Math.max(1, deadline - Date.now())).emitWithAck(event, payload);
    } catch {
      throw this.socket.connected
        ? new SwitchboardError(ClientErrorCode.TIMEOUT, `no answer to ${event} within ${timeoutMs} ms`)
        : new SwitchboardError(ClientErrorCode.DISCONNECTED, `the connection dropped before ${event} was answered`);
    }
    if (isErrorAck(ack)) throw SwitchboardError.from(ack.error);
    return ack as RequestResult<N, E>;
  }

  /** Resolves with the session once connected (at once if connected). */
  ready(options: { readonly timeoutMs?: number } = {}): Promise<SessionPayload> {
    const session = this.session;
    if (session && this.socket.connected) return Promise.resolve(session);
    if (this.state === 'closed' || this.state === 'failed') return Promise.reject(this.endedError());
    const timeoutMs = options.timeoutMs ?? this.context.requestTimeoutMs;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new SwitchboardError(ClientErrorCode.TIMEOUT, `not connected to /${this.name} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        resolve: (value: SessionPayload) => (clearTimeout(timer), resolve(value)),
        reject: (error: SwitchboardError) => (clearTimeout(timer), reject(error)),
      };
      this.waiters.add(waiter);
    });
  }

  /** `listener` gets every connection state change; returns the function that stops it. */
  onState(listener: (change: StateChange) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** The newest position accepted on `channel` (its handlers may still be running); undefined before its first subscribe ack. */
  position(channel: string): Position | undefined {
    return this.subscriptions.position(channel);
  }

  /** Counters of `channel`'s stream: delivered, duplicates dropped, gaps healed, resyncs. */
  stats(channel: string): ChannelStats | undefined {
    return this.subscriptions.stats(channel);
  }

  /** Resolves once every handler call received so far on `channel` has settled. */
  settled(channel: string): Promise<void> {
    return this.subscriptions.settled(channel);
  }

  /** Reconnects at once if waiting; if connected, proves the connection alive or replaces it. */
  wake(reason: WakeReason = 'manual'): Promise<void> {
    return this.supervisor.wake(reason);
  }

  /** Tries again after a `failed` state (e.g. once the user signed in again). */
  restart(): void {
    this.supervisor.restart();
  }

  close(): void {
    this.supervisor.close();
    this.offToken();
    this.subscriptions.clear();
    this.rejectWaiters();
  }

  /** @internal The print agent answers `print:job` acks itself. */
  get rawSocket(): Socket {
    return this.socket;
  }

  private onSession(session: SessionPayload): void {
    // Another user than before starts from their own positions, not the previous user's.
    this.subscriptions.onSession(this.positions.setUser(session.user.companyId, session.user.id));
    for (const waiter of [...this.waiters]) waiter.resolve(session);
    this.waiters.clear();
  }

  private emitState(change: StateChange): void {
    if (change.state === 'failed' || change.state === 'closed') this.rejectWaiters();
    for (const listener of [...this.stateListeners]) listener(change);
  }

  private async sendRefresh(token: string): Promise<void> {
    if (!this.socket.connected || !this.session) return;
    let ack: Ack<RefreshAck>;
    try {
      ack = (await this.socket.timeout(this.context.requestTimeoutMs).emitWithAck('auth:refresh', { token })) as Ack<RefreshAck>;
    } catch {
      return; // the next connection uses the new token anyway
    }
    if (!isErrorAck(ack)) {
      this.subscriptions.onRefreshed(ack);
      return;
    }
    this.report(SwitchboardError.from(ack.error));
  }

  private report(error: SwitchboardError, channel?: string): void {
    try {
      this.context.onError?.(error, channel === undefined ? { namespace: this.name } : { namespace: this.name, channel });
    } catch {
      // The application's error callback failed; there is nobody left to tell.
    }
  }

  private endedError(): SwitchboardError {
    return this.state === 'closed'
      ? new SwitchboardError(ClientErrorCode.CLOSED, `/${this.name} was closed`)
      : new SwitchboardError(ClientErrorCode.DISCONNECTED, `/${this.name} failed and is not reconnecting`);
  }

  private rejectWaiters(): void {
    const error = this.endedError();
    for (const waiter of [...this.waiters]) waiter.reject(error);
    this.waiters.clear();
  }
}
