import type { Manager, Socket } from 'socket.io-client';
import { Backoff } from './backoff.js';
import { ChannelState, type ChannelStats } from './channel-state.js';
import { ConnectionSupervisor, type ConnectionOptions } from './connection.js';
import { ClientErrorCode, SwitchboardError } from './errors.js';
import { PositionStore } from './positions.js';
import type { KeyValueStorage } from './storage.js';
import type { TokenSource } from './token-source.js';
import type {
  Ack,
  AnySubscribeAck,
  BatchPayload,
  ChannelResetPayload,
  ConnectionState,
  Envelope,
  ErrorAck,
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
  SyncSnapshot,
} from './types.js';
import type { WakeReason } from './wake.js';

/** A subscribe ack: the channel is live from `position`. */
export interface SubscribedInfo {
  readonly position: Position;
  /** Present when the subscribe resumed from a stored or earlier position. */
  readonly recovered?: boolean;
  /** With recovered: true, how many missed events were replayed (they came before this call). */
  readonly missed?: number;
}

export interface SubscribeOptions<N extends NamespaceName> {
  /** The server confirmed the subscription (on every (re)connection): events flow live from here. */
  onSubscribed?(info: SubscribedInfo): void;
  /** This channel's state must be reloaded (history not recoverable, or the stream was reset). */
  onResync?(reason: ResyncReason, context: ResyncContext): void | Promise<void>;
  /** /sync: the channel's snapshot (latest status per entity), on a fresh start or after a resync. */
  onSnapshot?(snapshot: N extends 'sync' ? SyncSnapshot : unknown): void | Promise<void>;
  /** The subscription was refused for good (FORBIDDEN, VALIDATION_FAILED, LIMIT_EXCEEDED) or dropped by a token refresh. */
  onError?(error: SwitchboardError): void;
}

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
  readonly onError?: (error: SwitchboardError, context: { readonly namespace: NamespaceName; readonly channel?: string }) => void;
}

interface Subscriber<N extends NamespaceName> {
  readonly handler: EventHandler<N>;
  readonly options: SubscribeOptions<N>;
}

interface Entry<N extends NamespaceName> {
  readonly channel: string;
  readonly state: ChannelState;
  readonly subscribers: Set<Subscriber<N>>;
  readonly retry: Backoff;
  retryTimer?: ReturnType<typeof setTimeout>;
  /** Whether the stored position has been read for the current user. */
  loaded: boolean;
  /** Bumped by every subscribe sent and every loss: an ack of an older one is ignored. */
  generation: number;
}

/** Subscribe errors worth another try on the same connection. */
const RETRYABLE = new Set(['UNAVAILABLE', 'INTERNAL', 'RATE_LIMITED']);

const isErrorAck = (ack: unknown): ack is ErrorAck => typeof ack === 'object' && ack !== null && (ack as { ok?: unknown }).ok === false;

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
  private readonly entries = new Map<string, Entry<N>>();
  private readonly stateListeners = new Set<(change: StateChange) => void>();
  private readonly waiters = new Set<{ resolve(session: SessionPayload): void; reject(error: SwitchboardError): void }>();
  private readonly offToken: () => void;

  constructor(
    readonly name: N,
    private readonly context: HandleContext,
  ) {
    this.socket = context.manager.socket(`/${name}`, { auth: (send) => send({ token: context.tokens.peek() }) });
    this.positions = new PositionStore(context.storage, [context.serverKey, name, context.storageScope]);
    this.supervisor = new ConnectionSupervisor(
      this.socket,
      context.manager,
      context.tokens,
      {
        session: (session) => this.onSession(session),
        lost: () => this.onLost(),
        state: (change) => this.emitState(change),
        error: (error) => this.report(error),
      },
      context.connection,
    );
    this.socket.on('batch', (payload: BatchPayload) => {
      for (const envelope of payload?.events ?? []) this.route(envelope);
    });
    this.socket.on('channel:reset', (payload: ChannelResetPayload) => this.entries.get(payload?.channel)?.state.receiveReset(payload));
    this.socket.onAny((event: string, payload: unknown) => {
      if (isEnvelope(event, payload)) this.route(payload);
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
    let entry = this.entries.get(channel);
    if (!entry) {
      entry = this.createEntry(channel);
      this.entries.set(channel, entry);
      if (this.session) void this.sendSubscribe(entry);
    }
    const subscriber: Subscriber<N> = { handler, options };
    entry.subscribers.add(subscriber);
    const current = entry;
    return () => this.removeSubscriber(current, subscriber);
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
    return this.entries.get(channel)?.state.position;
  }

  /** Counters of `channel`'s stream: delivered, duplicates dropped, gaps healed, resyncs. */
  stats(channel: string): ChannelStats | undefined {
    const stats = this.entries.get(channel)?.state.stats;
    return stats ? { ...stats } : undefined;
  }

  /** Resolves once every handler call received so far on `channel` has settled. */
  async settled(channel: string): Promise<void> {
    await this.entries.get(channel)?.state.settled();
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
    for (const entry of this.entries.values()) this.dropEntry(entry);
    this.entries.clear();
    this.rejectWaiters();
  }

  /** @internal The print agent answers `print:job` acks itself. */
  get rawSocket(): Socket {
    return this.socket;
  }

  private createEntry(channel: string): Entry<N> {
    const entry: Entry<N> = {
      channel,
      subscribers: new Set(),
      retry: new Backoff({ baseDelayMs: 500, maxDelayMs: 10_000 }),
      loaded: false,
      generation: 0,
      state: new ChannelState(channel, {
        dispatch: async (envelope) => {
          for (const subscriber of [...entry.subscribers]) {
            try {
              await subscriber.handler(envelope as Parameters<EventHandler<N>>[0]);
            } catch (error) {
              this.report(
                new SwitchboardError(ClientErrorCode.HANDLER_FAILED, `handler for ${channel} threw: ${String(error)}`, error),
                channel,
              );
            }
          }
        },
        resync: async (reason, position) => {
          const context: ResyncContext = { namespace: this.name, position };
          await this.safely(channel, () => this.context.onResync?.(channel, reason, context));
          for (const subscriber of [...entry.subscribers]) await this.safely(channel, () => subscriber.options.onResync?.(reason, context));
        },
        snapshot: async (snapshot) => {
          for (const subscriber of [...entry.subscribers]) {
            await this.safely(channel, () => subscriber.options.onSnapshot?.(snapshot as SyncSnapshot));
          }
        },
        persist: (position) =>
          this.positions.save(channel, position).catch((error: unknown) => {
            this.report(
              new SwitchboardError(ClientErrorCode.STORAGE_FAILED, `storing the position of ${channel}: ${String(error)}`),
              channel,
            );
          }),
        resubscribe: () => void this.sendSubscribe(entry),
        report: (error) =>
          this.report(
            error instanceof SwitchboardError ? error : new SwitchboardError(ClientErrorCode.HANDLER_FAILED, String(error)),
            channel,
          ),
      }),
    };
    return entry;
  }

  private async safely(channel: string, call: () => void | Promise<void> | undefined): Promise<void> {
    try {
      await call();
    } catch (error) {
      this.report(new SwitchboardError(ClientErrorCode.HANDLER_FAILED, `callback for ${channel} threw: ${String(error)}`, error), channel);
    }
  }

  private async sendSubscribe(entry: Entry<N>): Promise<void> {
    if (entry.state.phase === 'failed') return;
    const generation = ++entry.generation;
    if (entry.retryTimer !== undefined) clearTimeout(entry.retryTimer);
    if (!entry.loaded) {
      const stored = await this.positions.load(entry.channel).catch(() => undefined);
      if (generation !== entry.generation || !this.isCurrent(entry)) return;
      entry.loaded = true;
      entry.state.position ??= stored;
    }
    if (!this.socket.connected || !this.session) return;
    const since = entry.state.beginSubscribe();
    let ack: Ack<AnySubscribeAck>;
    try {
      ack = (await this.socket
        .timeout(this.context.requestTimeoutMs)
        .emitWithAck('subscribe', since ? { channel: entry.channel, since } : { channel: entry.channel })) as Ack<AnySubscribeAck>;
    } catch {
      if (generation !== entry.generation) return;
      entry.state.abort();
      if (this.socket.connected) this.retrySubscribe(entry);
      return;
    }
    if (generation !== entry.generation || !this.isCurrent(entry)) return;
    if (!isErrorAck(ack)) {
      entry.retry.reset();
      entry.state.completeSubscribe(ack, since);
      this.announceSubscribed(entry, ack);
      return;
    }
    const error = SwitchboardError.from(ack.error);
    if (RETRYABLE.has(error.code)) {
      entry.state.abort();
      const advised = (error.details as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
      this.retrySubscribe(entry, typeof advised === 'number' ? advised : undefined);
      return;
    }
    entry.state.abort(true);
    this.failEntry(entry, error);
  }

  private announceSubscribed(entry: Entry<N>, ack: AnySubscribeAck): void {
    const info: SubscribedInfo = {
      position: { epoch: ack.epoch, seq: ack.seq },
      ...('recovered' in ack ? { recovered: ack.recovered } : {}),
      ...('missed' in ack ? { missed: ack.missed } : {}),
    };
    for (const subscriber of [...entry.subscribers]) {
      try {
        subscriber.options.onSubscribed?.(info);
      } catch (error) {
        this.report(
          new SwitchboardError(ClientErrorCode.HANDLER_FAILED, `onSubscribed for ${entry.channel} threw: ${String(error)}`, error),
          entry.channel,
        );
      }
    }
  }

  private retrySubscribe(entry: Entry<N>, delayMs?: number): void {
    entry.retryTimer = setTimeout(() => {
      entry.retryTimer = undefined;
      if (this.isCurrent(entry)) void this.sendSubscribe(entry);
    }, delayMs ?? entry.retry.next());
  }

  private failEntry(entry: Entry<N>, error: SwitchboardError): void {
    this.report(error, entry.channel);
    for (const subscriber of [...entry.subscribers]) {
      try {
        subscriber.options.onError?.(error);
      } catch {
        // An error callback that throws has nobody left to tell.
      }
    }
  }

  private removeSubscriber(entry: Entry<N>, subscriber: Subscriber<N>): void {
    if (!entry.subscribers.delete(subscriber) || entry.subscribers.size > 0 || !this.isCurrent(entry)) return;
    this.entries.delete(entry.channel);
    this.dropEntry(entry);
    if (this.socket.connected) {
      void this.socket
        .timeout(this.context.requestTimeoutMs)
        .emitWithAck('unsubscribe', { channel: entry.channel })
        .catch(() => undefined);
    }
  }

  private dropEntry(entry: Entry<N>): void {
    entry.generation += 1;
    if (entry.retryTimer !== undefined) clearTimeout(entry.retryTimer);
    entry.state.abort();
  }

  private isCurrent(entry: Entry<N>): boolean {
    return this.entries.get(entry.channel) === entry;
  }

  private route(envelope: Envelope): void {
    this.entries.get(envelope.channel)?.state.receiveEvent(envelope);
  }

  private onSession(session: SessionPayload): void {
    if (this.positions.setUser(session.user.companyId, session.user.id)) {
      // Another user: their positions, not the previous user's.
      for (const entry of this.entries.values()) {
        entry.loaded = false;
        entry.state.position = undefined;
      }
    }
    for (const entry of this.entries.values()) void this.sendSubscribe(entry);
    for (const waiter of [...this.waiters]) waiter.resolve(session);
    this.waiters.clear();
  }

  private onLost(): void {
    for (const entry of this.entries.values()) {
      entry.generation += 1;
      if (entry.retryTimer !== undefined) clearTimeout(entry.retryTimer);
      if (entry.state.phase !== 'failed') entry.state.abort();
    }
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
      for (const channel of ack.dropped) {
        const entry = this.entries.get(channel);
        if (!entry) continue;
        entry.generation += 1;
        entry.state.abort(true);
        this.failEntry(entry, new SwitchboardError('FORBIDDEN', `the refreshed token no longer allows ${channel}`));
      }
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
