import type { Envelope } from './envelope';

/** One event as a publisher hands it to an engine; the engine assigns seq and epoch. */
export interface EventDraft {
  readonly id: string;
  readonly channel: string;
  readonly event: string;
  readonly data: unknown;
  /** data's JSON text, when the caller has it already: the engines serialize the envelope around it. */
  readonly dataJson?: string;
  readonly ts: number;
  readonly correlationId?: string;
  readonly idempotencyKey?: string;
  /** When set, the channel's snapshot keeps this event as the latest for this key (e.g. an entityId). */
  readonly snapshotKey?: string;
}

/** The events of one publish call for one channel key. */
export interface ChannelDrafts {
  readonly key: string;
  readonly drafts: readonly EventDraft[];
}

export interface PublishOutcome {
  readonly id: string;
  readonly seq: number;
  readonly epoch: string;
  /** True when the idempotencyKey was seen before: nothing was sent, and this is the original result. */
  readonly duplicate: boolean;
}

/**
 * A channel's current position plus the events after a given seq.
 * `complete` is true when `events` holds every event from afterSeq+1 to `seq` (possibly none);
 * false when some of them have left history (count over HISTORY_SIZE, trimmed, or expired).
 */
export interface ReadResult {
  readonly epoch: string;
  readonly seq: number;
  readonly complete: boolean;
  readonly events: readonly Envelope[];
  /** With `{ snapshot: true }`: the latest event per snapshot key, newest first, as of `seq`. */
  readonly snapshot?: readonly Envelope[];
}

/** At most this many keys are kept in a channel's snapshot (the oldest are dropped). */
export const SNAPSHOT_LIMIT = 1000;

/** Retention override for internal channels (the health round-trip keeps one event for a minute). */
export interface Retention {
  readonly size: number;
  readonly ttlSeconds: number;
}

export interface EngineListener {
  /** Events for one watched key, consecutive seqs of one epoch, as published together. */
  arrived(key: string, events: readonly Envelope[]): void;
  /** The live feed was interrupted and is back: anything may have been missed meanwhile. */
  resumed(): void;
  /** Publishing works again after the connection for publishes was lost. */
  writable(): void;
  /**
   * A failover is about to demote the master: new publishes must wait (in the outage queue)
   * rather than reach a server whose late writes the new master will not have.
   */
  holding?(): void;
  /** The new master (or the old one, after an aborted failover) takes the waiting publishes. */
  released?(): void;
  /** Redis no longer held `missing` of the node's subscriptions; they were made again (see SubscriptionAudit). */
  subscriptionsRepaired?(missing: number): void;
}

/**
 * The storage-and-fan-out half of the bus. Engines know nothing about sockets; ordering,
 * gap refill and replay coordination live in ChannelStream, on top of any engine.
 */
export interface BusEngine {
  readonly kind: 'memory' | 'redis';
  /** True when the channels of one publishMany call are not written atomically together (Redis Cluster). */
  readonly splitsChannels?: boolean;
  setListener(listener: EngineListener): void;
  /**
   * Checks, before anything of a publish call is written, that the engine will take these keys
   * (the memory engine bounds stored channels per company); throws ChannelLimitError otherwise.
   */
  admit?(keys: readonly string[]): void;
  /** Atomically assigns consecutive seqs, appends to history and fans out, for one channel key. */
  publish(key: string, drafts: readonly EventDraft[], retention?: Retention): Promise<PublishOutcome[]>;
  /**
   * publish() for several channel keys at once (one publish request): each channel's events are
   * atomic as in publish(), and the Redis engine sends them all in one round trip. Outcomes per
   * group, in order. It succeeds or fails as a whole.
   */
  publishMany(groups: readonly ChannelDrafts[]): Promise<PublishOutcome[][]>;
  /** Reads the position (creating the channel's epoch if it has none) and the events after `afterSeq`. */
  read(key: string, afterSeq: number, options?: { snapshot?: boolean }): Promise<ReadResult>;
  /**
   * Starts a new epoch for the channel if it is still in `epoch` (used when history went
   * backwards, e.g. Redis restored an AOF that lost its last writes). Returns the current epoch.
   */
  resetEpoch(key: string, epoch: string): Promise<string>;
  /** Starts receiving `arrived` for this key; resolves once the feed is live. */
  watch(key: string): Promise<void>;
  unwatch(key: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Why a reachable storage refused a write: `full` (Redis at maxmemory with noeviction: OOM),
 * `read-only` (a replica, e.g. a demoted master), `persistence` (MISCONF: it cannot write its
 * snapshot), `error` (any other error reply, e.g. a script error).
 */
export type StorageRefusal = 'full' | 'read-only' | 'persistence' | 'error';

/**
 * Thrown by engines when storage answered but refused the command. Unlike an unreachable storage
 * this does not heal by waiting in the outage queue (an OOM lasts until an operator acts), so the
 * publisher is refused at once (UNAVAILABLE with a reason and Retry-After), never queued.
 */
export class EngineRefusedError extends Error {
  constructor(
    readonly reason: StorageRefusal,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EngineRefusedError';
  }
}

/** Thrown by engines when storage is unreachable; maps to UNAVAILABLE. */
export class EngineUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EngineUnavailableError';
  }
}

/** Thrown when a company already stores as many channels as it may (memory engine); maps to LIMIT_EXCEEDED. */
export class ChannelLimitError extends Error {
  constructor(
    readonly companyId: string,
    readonly limit: number,
  ) {
    super(`company ${companyId} already has ${limit} channels with events on this process`);
    this.name = 'ChannelLimitError';
  }
}
