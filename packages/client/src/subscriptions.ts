import type { Socket } from 'socket.io-client';
import { Backoff } from './backoff.js';
import { ChannelState, type ChannelStats } from './channel-state.js';
import { ClientErrorCode, SwitchboardError } from './errors.js';
import type { PositionStore } from './positions.js';
import type {
  Ack,
  AnySubscribeAck,
  ChannelResetPayload,
  AvailabilitySnapshot,
  Envelope,
  ErrorAck,
  EventHandler,
  NamespaceName,
  Position,
  RefreshAck,
  ResyncContext,
  ResyncReason,
  SessionPayload,
  SyncSnapshot,
} from './types.js';

/** A subscribe ack: the channel is live from `position`. */
export interface SubscribedInfo {
  readonly position: Position;
  /** Present when the subscribe resumed from a stored or earlier position. */
  readonly recovered?: boolean;
  /** With recovered: true, how many missed events were replayed (they came before this call). */
  readonly missed?: number;
}

/** The snapshot a namespace's subscribe ack carries (unknown where it carries none). */
export type SnapshotOf<N extends NamespaceName> = N extends 'sync'
  ? SyncSnapshot
  : N extends 'availability'
    ? AvailabilitySnapshot
    : unknown;

export interface SubscribeOptions<N extends NamespaceName> {
  /** The server confirmed the subscription (on every (re)connection): events flow live from here. */
  onSubscribed?(info: SubscribedInfo): void;
  /** This channel's state must be reloaded (history not recoverable, or the stream was reset). */
  onResync?(reason: ResyncReason, context: ResyncContext): void | Promise<void>;
  /**
   * /sync and /availability: the channel's snapshot (latest status per entity; latest stock level
   * and availability per SKU), on a fresh start or after a resync.
   */
  onSnapshot?(snapshot: SnapshotOf<N>): void | Promise<void>;
  /** The subscription was refused for good (FORBIDDEN, VALIDATION_FAILED, LIMIT_EXCEEDED) or dropped by a token refresh. */
  onError?(error: SwitchboardError): void;
}

/** What the subscriptions of one namespace need from it. */
export interface SubscriptionContext {
  readonly namespace: NamespaceName;
  readonly socket: Socket;
  readonly positions: PositionStore;
  readonly requestTimeoutMs: number;
  /** The namespace's current session (subscribes are sent only within one). */
  session(): SessionPayload | undefined;
  readonly onResync?: (channel: string, reason: ResyncReason, context: ResyncContext) => void | Promise<void>;
  report(error: SwitchboardError, channel?: string): void;
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

export const isErrorAck = (ack: unknown): ack is ErrorAck =>
  typeof ack === 'object' && ack !== null && (ack as { ok?: unknown }).ok === false;

/**
 * The channels one namespace follows: for each, its subscribers, its stream (ChannelState) and
 * the `subscribe` requests that keep it live. Every session subscribes each channel from its
 * last position; an ack of an older request or session is ignored; refusals reach the
 * subscriber's onError once; transient errors are retried with backoff.
 */
export class Subscriptions<N extends NamespaceName> {
  private readonly entries = new Map<string, Entry<N>>();

  constructor(private readonly context: SubscriptionContext) {}

  /** Adds a subscriber (subscribing the channel if it is new); returns the function that removes it. */
  add(channel: string, handler: EventHandler<N>, options: SubscribeOptions<N>): () => void {
    let entry = this.entries.get(channel);
    if (!entry) {
      entry = this.createEntry(channel);
      this.entries.set(channel, entry);
      if (this.context.session()) void this.sendSubscribe(entry);
    }
    const subscriber: Subscriber<N> = { handler, options };
    entry.subscribers.add(subscriber);
    const current = entry;
    return () => this.removeSubscriber(current, subscriber);
  }

  receiveEvent(envelope: Envelope): void {
    this.entries.get(envelope.channel)?.state.receiveEvent(envelope);
  }

  receiveReset(payload: ChannelResetPayload): void {
    this.entries.get(payload?.channel)?.state.receiveReset(payload);
  }

  position(channel: string): Position | undefined {
    return this.entries.get(channel)?.state.position;
  }

  stats(channel: string): ChannelStats | undefined {
    const stats = this.entries.get(channel)?.state.stats;
    return stats ? { ...stats } : undefined;
  }

  async settled(channel: string): Promise<void> {
    await this.entries.get(channel)?.state.settled();
  }

  /** A new session: another user starts from their own positions; every channel subscribes again. */
  onSession(userChanged: boolean): void {
    if (userChanged) {
      for (const entry of this.entries.values()) {
        entry.loaded = false;
        entry.state.position = undefined;
      }
    }
    for (const entry of this.entries.values()) void this.sendSubscribe(entry);
  }

  /** The connection is gone: nothing held is applied, no ack in flight counts. */
  onLost(): void {
    for (const entry of this.entries.values()) {
      entry.generation += 1;
      if (entry.retryTimer !== undefined) clearTimeout(entry.retryTimer);
      if (entry.state.phase !== 'failed') entry.state.abort();
    }
  }

  /** A token refresh was accepted: channels the new token no longer allows were left by the server. */
  onRefreshed(ack: RefreshAck): void {
    for (const channel of ack.dropped) {
      const entry = this.entries.get(channel);
      if (!entry) continue;
      entry.generation += 1;
      entry.state.abort(true);
      this.failEntry(entry, new SwitchboardError('FORBIDDEN', `the refreshed token no longer allows ${channel}`));
    }
  }

  clear(): void {
    for (const entry of this.entries.values()) this.dropEntry(entry);
    this.entries.clear();
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
            await this.safely(channel, 'handler', () => subscriber.handler(envelope as Parameters<EventHandler<N>>[0]));
          }
        },
        resync: async (reason, position) => {
          const context: ResyncContext = { namespace: this.context.namespace, position };
          await this.safely(channel, 'onResync', () => this.context.onResync?.(channel, reason, context));
          for (const subscriber of [...entry.subscribers])
            await this.safely(channel, 'onResync', () => subscriber.options.onResync?.(reason, context));
        },
        snapshot: async (snapshot) => {
          for (const subscriber of [...entry.subscribers]) {
            await this.safely(channel, 'onSnapshot', () => subscriber.options.onSnapshot?.(snapshot as SnapshotOf<N>));
          }
        },
        persist: (position) =>
          this.context.positions.save(channel, position).catch((error: unknown) => {
            this.context.report(
              new SwitchboardError(ClientErrorCode.STORAGE_FAILED, `storing the position of ${channel}: ${String(error)}`),
              channel,
            );
          }),
        resubscribe: () => void this.sendSubscribe(entry),
        report: (error) =>
          this.context.report(
            error instanceof SwitchboardError ? error : new SwitchboardError(ClientErrorCode.HANDLER_FAILED, String(error)),
            channel,
          ),
      }),
    };
    return entry;
  }

  /** Runs an application callback; one that throws is reported and the stream goes on. */
  private async safely(channel: string, what: string, call: () => void | Promise<void> | undefined): Promise<void> {
    try {
      await call();
    } catch (error) {
      this.context.report(
        new SwitchboardError(ClientErrorCode.HANDLER_FAILED, `${what} for ${channel} threw: ${String(error)}`, error),
        channel,
      );
    }
  }

  private async sendSubscribe(entry: Entry<N>): Promise<void> {
    if (entry.state.phase === 'failed') return;
    const generation = ++entry.generation;
    if (entry.retryTimer !== undefined) clearTimeout(entry.retryTimer);
    if (!entry.loaded) {
      const stored = await this.context.positions.load(entry.channel).catch(() => undefined);
      if (generation !== entry.generation || !this.isCurrent(entry)) return;
      entry.loaded = true;
      entry.state.position ??= stored;
    }
    if (!this.context.socket.connected || !this.context.session()) return;
    const since = entry.state.beginSubscribe();
    let ack: Ack<AnySubscribeAck>;
    try {
      ack = (await this.context.socket
        .timeout(this.context.requestTimeoutMs)
        .emitWithAck('subscribe', since ? { channel: entry.channel, since } : { channel: entry.channel })) as Ack<AnySubscribeAck>;
    } catch {
      if (generation !== entry.generation) return;
      entry.state.abort();
      if (this.context.socket.connected) this.retrySubscribe(entry);
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
        this.context.report(
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
    this.context.report(error, entry.channel);
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
    if (this.context.socket.connected) {
      void this.context.socket
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
}
