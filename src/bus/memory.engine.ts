import { createHmac, randomBytes } from 'node:crypto';
import {
  ChannelLimitError,
  SNAPSHOT_LIMIT,
  type BusEngine,
  type ChannelDrafts,
  type EngineListener,
  type EventDraft,
  type PublishOutcome,
  type ReadResult,
  type Retention,
} from './bus-engine';
import type { Envelope } from './envelope';
import { envelopeHead, envelopeJson } from './envelope-json';
import type { HistoryConfig } from '../config';

/** A channel that has had at least one event within POSITION_TTL_SECONDS. */
interface MemoryChannel {
  readonly company: string | undefined;
  readonly epoch: string;
  seq: number;
  /**
   * The last events as JSON, at most `capacity`; grows with events. Once full, history[start] is
   * the oldest. JSON, not envelope objects: a full history (HISTORY_SIZE 1,000 on 100 channels)
   * held as objects was ~600,000 objects for every full GC to trace (~200 ms per full GC on this
   * machine, against ~37 ms as strings, which GC marks without looking inside; bench/history-gc.mjs,
   * issue 14), and 40 % more heap. A replay parses what it sends, as the Redis engine does: on both engines a replayed
   * event is the JSON of the live one.
   */
  history: string[];
  start: number;
  readonly capacity: number;
  readonly historyTtlMs: number;
  lastPublishAt: number;
  idempotency?: Map<string, { outcome: PublishOutcome; expiresAt: number }>;
  /** Latest event per snapshot key; Map order is oldest update first. */
  snapshot?: Map<string, Envelope>;
}

export interface MemoryEngineOptions {
  readonly history: HistoryConfig;
  readonly idempotencyTtlSeconds: number;
  /** Channels with a stored position per company (0: unlimited); internal `!` keys are not counted. */
  readonly channelsPerCompany?: number;
  /** Injectable clock so TTL behaviour is testable without waiting. */
  readonly now?: () => number;
  readonly sweepIntervalMs?: number;
}

/**
 * The embedded engine: one process, no Redis. Same contract as the Redis engine (and the same
 * test suite): per-channel seq, history with TTL, idempotency, synchronous local fan-out.
 *
 * Memory follows events, not subscriptions (issue 13): a channel is stored only from its first
 * publish, and its history grows one slot per event up to HISTORY_SIZE. A channel that never had
 * an event is not stored at all; its epoch is derived from the key (an HMAC with a per-process
 * salt), so every read of it names the same epoch, and the first publish keeps that epoch, as a
 * stored empty channel would. A client holding `{epoch, seq: 0}` of a channel nobody published to
 * therefore never hears EPOCH_CHANGED, however long ago it subscribed. When a channel with events
 * expires (POSITION_TTL_SECONDS idle), its key's incarnation counter moves on, so its next epoch
 * differs from every earlier one; that counter is the only thing kept per expired channel.
 */
export class MemoryEngine implements BusEngine {
  readonly kind = 'memory' as const;
  private readonly channels = new Map<string, MemoryChannel>();
  private readonly perCompany = new Map<string, number>();
  /** How many stored incarnations of a key have expired; absent means none. */
  private readonly incarnations = new Map<string, number>();
  private readonly salt = randomBytes(16);
  private lastRoomSweep = -Infinity;
  private listener: EngineListener | undefined;
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: MemoryEngineOptions) {
    this.now = options.now ?? Date.now;
    this.sweeper = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 60_000);
    this.sweeper.unref();
  }

  setListener(listener: EngineListener): void {
    this.listener = listener;
  }

  /** Refuses, before anything is written, a publish that would store more channels than a company may have. */
  admit(keys: readonly string[]): void {
    const bound = this.options.channelsPerCompany ?? 0;
    if (bound <= 0) return;
    const now = this.now();
    const added = new Map<string, number>();
    for (const key of new Set(keys)) {
      const company = companyOf(key);
      if (company === undefined || this.live(key, now)) continue;
      const total = () => (this.perCompany.get(company) ?? 0) + (added.get(company) ?? 0) + 1;
      if (total() > bound) {
        // Channels past their TTL expire lazily and may still be counted: sweep, at most once a second.
        if (now - this.lastRoomSweep >= 1000) {
          this.lastRoomSweep = now;
          this.sweep();
        }
        if (total() > bound) throw new ChannelLimitError(company, bound);
      }
      added.set(company, (added.get(company) ?? 0) + 1);
    }
  }

  publish(key: string, drafts: readonly EventDraft[], retention?: Retention): Promise<PublishOutcome[]> {
    const now = this.now();
    try {
      this.admit([key]);
      return Promise.resolve(this.write(key, drafts, now, retention));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * All channels are admitted together, then written in turn, with one promise for the call:
   * a batch of 100 events usually touches 100 channels, and a promise and a microtask per channel
   * were a measurable share of its cost (issue 14).
   */
  publishMany(groups: readonly ChannelDrafts[]): Promise<PublishOutcome[][]> {
    const now = this.now();
    try {
      this.admit(groups.map((group) => group.key));
      return Promise.resolve(groups.map(({ key, drafts }) => this.write(key, drafts, now)));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private write(key: string, drafts: readonly EventDraft[], now: number, retention?: Retention): PublishOutcome[] {
    const channel = this.live(key, now) ?? this.create(key, now, retention);
    const outcomes: PublishOutcome[] = [];
    const published: Envelope[] = [];
    for (const draft of drafts) {
      const remembered = draft.idempotencyKey !== undefined ? channel.idempotency?.get(draft.idempotencyKey) : undefined;
      if (remembered && remembered.expiresAt > now) {
        outcomes.push({ ...remembered.outcome, duplicate: true });
        continue;
      }
      const envelope: Envelope = {
        id: draft.id,
        channel: draft.channel,
        seq: channel.seq + 1,
        epoch: channel.epoch,
        event: draft.event,
        data: draft.data,
        ts: draft.ts,
        ...(draft.correlationId !== undefined ? { correlationId: draft.correlationId } : {}),
      };
      // Serialized before the seq moves: data JSON cannot hold (a cycle, a BigInt) fails the
      // publish, as on the Redis engine, and leaves no hole in the channel.
      const json = envelopeJson(envelopeHead(draft), envelope.seq, envelope.epoch);
      channel.seq += 1;
      append(channel, json);
      if (draft.snapshotKey !== undefined) remember(channel, draft.snapshotKey, envelope);
      const outcome: PublishOutcome = { id: draft.id, seq: channel.seq, epoch: channel.epoch, duplicate: false };
      if (draft.idempotencyKey !== undefined) {
        channel.idempotency ??= new Map();
        channel.idempotency.set(draft.idempotencyKey, { outcome, expiresAt: now + this.options.idempotencyTtlSeconds * 1000 });
      }
      outcomes.push(outcome);
      published.push(envelope);
    }
    if (published.length > 0) {
      channel.lastPublishAt = now;
      this.listener?.arrived(key, published);
    }
    return outcomes;
  }

  read(key: string, afterSeq: number, options?: { snapshot?: boolean }): Promise<ReadResult> {
    const channel = this.live(key, this.now());
    const snapshot = options?.snapshot ? { snapshot: channel?.snapshot ? [...channel.snapshot.values()].reverse() : [] } : {};
    if (!channel) return Promise.resolve({ epoch: this.pristineEpoch(key), seq: 0, complete: true, events: [], ...snapshot });
    const { epoch, seq, history } = channel;
    if (afterSeq >= seq) return Promise.resolve({ epoch, seq, complete: true, events: [], ...snapshot });
    const missed = seq - afterSeq;
    if (missed > history.length) return Promise.resolve({ epoch, seq, complete: false, events: [], ...snapshot });
    const events: Envelope[] = [];
    for (let i = history.length - missed; i < history.length; i++)
      events.push(JSON.parse(history[(channel.start + i) % history.length]) as Envelope);
    return Promise.resolve({ epoch, seq, complete: true, events, ...snapshot });
  }

  /** One process never loses its own writes, but the contract is shared: retire `epoch` if current. */
  resetEpoch(key: string, epoch: string): Promise<string> {
    const channel = this.live(key, this.now());
    if (channel ? channel.epoch === epoch : this.pristineEpoch(key) === epoch) this.forget(key);
    return Promise.resolve(this.live(key, this.now())?.epoch ?? this.pristineEpoch(key));
  }

  watch(): Promise<void> {
    return Promise.resolve();
  }

  unwatch(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    clearInterval(this.sweeper);
    this.channels.clear();
    this.perCompany.clear();
    return Promise.resolve();
  }

  /** What the engine holds: stored channels (per company), events in history, retired keys. */
  get stats(): { channels: number; events: number; retiredKeys: number; perCompany: ReadonlyMap<string, number> } {
    let events = 0;
    for (const channel of this.channels.values()) events += channel.history.length;
    return { channels: this.channels.size, events, retiredKeys: this.incarnations.size, perCompany: this.perCompany };
  }

  /** The stored channel, after applying its TTLs; undefined when it has none (never published, or expired). */
  private live(key: string, now: number): MemoryChannel | undefined {
    const channel = this.channels.get(key);
    if (!channel) return undefined;
    const idle = now - channel.lastPublishAt;
    if (idle > this.options.history.positionTtlSeconds * 1000) {
      this.forget(key);
      return undefined;
    }
    if (idle > channel.historyTtlMs && channel.history.length > 0) {
      channel.history = [];
      channel.start = 0;
    }
    return channel;
  }

  private create(key: string, now: number, retention?: Retention): MemoryChannel {
    const channel: MemoryChannel = {
      company: companyOf(key),
      epoch: this.pristineEpoch(key),
      seq: 0,
      history: [],
      start: 0,
      capacity: retention?.size ?? this.options.history.size,
      historyTtlMs: (retention?.ttlSeconds ?? this.options.history.ttlSeconds) * 1000,
      lastPublishAt: now,
    };
    this.channels.set(key, channel);
    if (channel.company !== undefined) this.perCompany.set(channel.company, (this.perCompany.get(channel.company) ?? 0) + 1);
    return channel;
  }

  /** Drops the stored channel (if any) and retires its epoch: the key's next epoch is a new one. */
  private forget(key: string): void {
    const channel = this.channels.get(key);
    if (channel) {
      this.channels.delete(key);
      if (channel.company !== undefined) {
        const left = (this.perCompany.get(channel.company) ?? 1) - 1;
        if (left > 0) this.perCompany.set(channel.company, left);
        else this.perCompany.delete(channel.company);
      }
    }
    this.incarnations.set(key, (this.incarnations.get(key) ?? 0) + 1);
  }

  /** The epoch of a key with no stored channel: the same on every read until the key is retired. */
  private pristineEpoch(key: string): string {
    return createHmac('sha256', this.salt)
      .update(`${key}\n${this.incarnations.get(key) ?? 0}`)
      .digest()
      .subarray(0, 8)
      .toString('base64url');
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, stored] of this.channels) {
      const channel = this.live(key, now);
      if (!channel?.idempotency) continue;
      for (const [idempotencyKey, entry] of channel.idempotency) if (entry.expiresAt <= now) channel.idempotency.delete(idempotencyKey);
      if (channel.idempotency.size === 0) delete stored.idempotency;
    }
  }
}

/** The company of a tenant channel key (`<company>/<namespace>/<channel>`); internal `!` keys have none. */
function companyOf(key: string): string | undefined {
  if (key.startsWith('!')) return undefined;
  const slash = key.indexOf('/');
  return slash > 0 ? key.slice(0, slash) : undefined;
}

function append(channel: MemoryChannel, json: string): void {
  if (channel.history.length < channel.capacity) {
    channel.history.push(json);
  } else {
    channel.history[channel.start] = json;
    channel.start = (channel.start + 1) % channel.capacity;
  }
}

function remember(channel: MemoryChannel, key: string, envelope: Envelope): void {
  channel.snapshot ??= new Map();
  channel.snapshot.delete(key); // re-insert so Map order stays "oldest update first"
  channel.snapshot.set(key, envelope);
  if (channel.snapshot.size > SNAPSHOT_LIMIT) channel.snapshot.delete(channel.snapshot.keys().next().value as string);
}
