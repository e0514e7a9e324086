import { newEpoch } from './epoch';
import {
  SNAPSHOT_LIMIT,
  type BusEngine,
  type EngineListener,
  type EventDraft,
  type PublishOutcome,
  type ReadResult,
  type Retention,
} from './bus-engine';
import type { Envelope } from './envelope';
import type { HistoryConfig } from '../config';

interface MemoryChannel {
  epoch: string;
  seq: number;
  /** Ring buffer of the last `capacity` events; ring[(start + i) % capacity] is the i-th oldest. */
  ring: (Envelope | undefined)[];
  start: number;
  count: number;
  capacity: number;
  historyTtlMs: number;
  lastPublishAt: number;
  idempotency: Map<string, { outcome: PublishOutcome; expiresAt: number }>;
  /** Latest event per snapshot key; Map order is oldest update first. */
  snapshot: Map<string, Envelope>;
}

export interface MemoryEngineOptions {
  readonly history: HistoryConfig;
  readonly idempotencyTtlSeconds: number;
  /** Injectable clock so TTL behaviour is testable without waiting. */
  readonly now?: () => number;
  readonly sweepIntervalMs?: number;
}

/**
 * The embedded engine: one process, no Redis. Same contract as the Redis engine
 * (and the same test suite): per-channel seq, ring-buffer history with TTL, a fresh
 * epoch for every channel created, idempotency, synchronous local fan-out.
 */
export class MemoryEngine implements BusEngine {
  readonly kind = 'memory' as const;
  private readonly channels = new Map<string, MemoryChannel>();
  private listener: EngineListener | undefined;
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: MemoryEngineOptions) {
    this.now = options.now ?? Date.now;
    // Idle channels would otherwise live forever; the sweep frees them after the position TTL.
    this.sweeper = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 60_000);
    this.sweeper.unref();
  }

  setListener(listener: EngineListener): void {
    this.listener = listener;
  }

  publish(key: string, drafts: readonly EventDraft[], retention?: Retention): Promise<PublishOutcome[]> {
    const now = this.now();
    const channel = this.channel(key, now, retention);
    const outcomes: PublishOutcome[] = [];
    const published: Envelope[] = [];
    for (const draft of drafts) {
      const remembered = draft.idempotencyKey !== undefined ? channel.idempotency.get(draft.idempotencyKey) : undefined;
      if (remembered && remembered.expiresAt > now) {
        outcomes.push({ ...remembered.outcome, duplicate: true });
        continue;
      }
      channel.seq += 1;
      const envelope: Envelope = {
        id: draft.id,
        channel: draft.channel,
        seq: channel.seq,
        epoch: channel.epoch,
        event: draft.event,
        data: draft.data,
        ts: draft.ts,
        ...(draft.correlationId !== undefined ? { correlationId: draft.correlationId } : {}),
      };
      this.append(channel, envelope);
      if (draft.snapshotKey !== undefined) this.remember(channel, draft.snapshotKey, envelope);
      const outcome: PublishOutcome = { id: draft.id, seq: channel.seq, epoch: channel.epoch, duplicate: false };
      if (draft.idempotencyKey !== undefined) {
        channel.idempotency.set(draft.idempotencyKey, {
          outcome,
          expiresAt: now + this.options.idempotencyTtlSeconds * 1000,
        });
      }
      outcomes.push(outcome);
      published.push(envelope);
    }
    if (published.length > 0) {
      channel.lastPublishAt = now;
      this.listener?.arrived(key, published);
    }
    return Promise.resolve(outcomes);
  }

  read(key: string, afterSeq: number, options?: { snapshot?: boolean }): Promise<ReadResult> {
    const channel = this.channel(key, this.now());
    const { epoch, seq } = channel;
    const snapshot = options?.snapshot ? { snapshot: [...channel.snapshot.values()].reverse() } : {};
    if (afterSeq >= seq) return Promise.resolve({ epoch, seq, complete: true, events: [], ...snapshot });
    const missed = seq - afterSeq;
    if (missed > channel.count) return Promise.resolve({ epoch, seq, complete: false, events: [], ...snapshot });
    const events: Envelope[] = [];
    for (let i = channel.count - missed; i < channel.count; i++) {
      events.push(channel.ring[(channel.start + i) % channel.capacity] as Envelope);
    }
    return Promise.resolve({ epoch, seq, complete: true, events, ...snapshot });
  }

  /** One process never loses its own writes, but the contract is shared: retire `epoch` if current. */
  resetEpoch(key: string, epoch: string): Promise<string> {
    const channel = this.channels.get(key);
    if (channel && channel.epoch === epoch) this.channels.delete(key);
    return Promise.resolve(this.channel(key, this.now()).epoch);
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
    return Promise.resolve();
  }

  /** Gets the live channel, applying TTLs first, creating it (with a new epoch) when absent. */
  private channel(key: string, now: number, retention?: Retention): MemoryChannel {
    let channel = this.channels.get(key);
    if (channel && this.expire(channel, now)) {
      this.channels.delete(key);
      channel = undefined;
    }
    if (!channel) {
      const capacity = retention?.size ?? this.options.history.size;
      channel = {
        epoch: newEpoch(),
        seq: 0,
        ring: new Array<Envelope | undefined>(capacity),
        start: 0,
        count: 0,
        capacity,
        historyTtlMs: (retention?.ttlSeconds ?? this.options.history.ttlSeconds) * 1000,
        lastPublishAt: now,
        idempotency: new Map(),
        snapshot: new Map(),
      };
      this.channels.set(key, channel);
    }
    return channel;
  }

  /** Drops expired history in place; returns true when the whole channel (its position) has expired. */
  private expire(channel: MemoryChannel, now: number): boolean {
    const idle = now - channel.lastPublishAt;
    if (idle > this.options.history.positionTtlSeconds * 1000) return true;
    if (idle > channel.historyTtlMs && channel.count > 0) {
      channel.ring.fill(undefined);
      channel.start = 0;
      channel.count = 0;
    }
    return false;
  }

  private append(channel: MemoryChannel, envelope: Envelope): void {
    if (channel.count < channel.capacity) {
      channel.ring[(channel.start + channel.count) % channel.capacity] = envelope;
      channel.count += 1;
    } else {
      channel.ring[channel.start] = envelope;
      channel.start = (channel.start + 1) % channel.capacity;
    }
  }

  private remember(channel: MemoryChannel, key: string, envelope: Envelope): void {
    channel.snapshot.delete(key); // re-insert so Map order stays "oldest update first"
    channel.snapshot.set(key, envelope);
    if (channel.snapshot.size > SNAPSHOT_LIMIT) channel.snapshot.delete(channel.snapshot.keys().next().value as string);
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, channel] of this.channels) {
      if (this.expire(channel, now)) {
        this.channels.delete(key);
        continue;
      }
      for (const [idempotencyKey, entry] of channel.idempotency) {
        if (entry.expiresAt <= now) channel.idempotency.delete(idempotencyKey);
      }
    }
  }
}
