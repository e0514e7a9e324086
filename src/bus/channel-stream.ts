import type { ChannelRef } from '../channels/channel-ref';
import type { BusEngine, ReadResult } from './bus-engine';
import type { Envelope, NotRecoveredReason, Position, ResetReason } from './envelope';

/** The Nest token of the DeliverySink the bus delivers to: realtime/delivery.module.ts provides it. */
export const DELIVERY_SINK = Symbol('DELIVERY_SINK');

/** Where this node's delivered events go (the realtime layer implements it). */
export interface DeliverySink {
  /** Consecutive events of one channel, in seq order, to every local subscriber. */
  deliver(ref: ChannelRef, epoch: string, events: readonly Envelope[]): void;
  /** The stream cannot continue gap-free: subscribers must reload and continue from `position`. */
  reset(ref: ChannelRef, position: Position, reason: ResetReason): void;
  hasLocalSubscribers(ref: ChannelRef): boolean;
  /** A seq jump in the live feed is being refilled from history (observability only). */
  gapRefilled?(ref: ChannelRef): void;
}

/** A channel's snapshot: the latest event per key (newest first), as of `seq`. */
export interface Snapshot {
  readonly epoch: string;
  readonly seq: number;
  readonly items: readonly Envelope[];
}

export type AttachPosition =
  | { readonly epoch: string; readonly seq: number; readonly recovered?: undefined }
  | { readonly epoch: string; readonly seq: number; readonly recovered: true; readonly missed: number }
  | { readonly epoch: string; readonly seq: number; readonly recovered: false; readonly reason: NotRecoveredReason };

export type AttachResult = AttachPosition & { readonly snapshot?: Snapshot };

/** Called inside the stream's critical section: emit `replay` to the socket, then join the room. */
export type JoinFn = (replay: readonly Envelope[]) => void;

/** How hard a stream tries to read missed events before telling subscribers to reload. */
export interface RefillPolicy {
  readonly attempts: number;
  readonly backoffMs: number;
}

const DEFAULT_REFILL: RefillPolicy = { attempts: 4, backoffMs: 150 };

/** How long one subscriber's catch-up read serves the next ones with the same or a later position. */
export const SHARED_READ_MS = 2000;

/**
 * One channel's live feed on this node. Every step that touches it (live arrivals, gap
 * refills, a subscriber's replay-then-join, catch-up after a reconnect) runs through one
 * serial queue, so a replaying socket can never see a live event overtake its replay, and
 * a pub/sub loss is refilled from history before anything later is delivered.
 *
 * Invariant once ready: every event with seq ≤ lastSeq of `epoch` has been handed to the sink
 * (or covered by a reset), and nothing later has.
 */
export class ChannelStream {
  private epoch = '';
  private lastSeq = 0;
  /**
   * The id of the event at lastSeq when this stream delivered it ('' when it did not, e.g. after
   * a baseline read). The same seq carrying another id means history diverged: a promoted
   * replica that never got the last writes took new ones under the same seqs.
   */
  private lastId = '';
  /** Epochs this stream has moved away from; late events of theirs are stale, not a new history. */
  private readonly retired = new Set<string>();
  private ready = false;
  /**
   * The last catch-up read made for a subscriber, kept briefly for the ones right behind it: after
   * an outage or a deploy, thousands of sockets of one channel come back with the same position,
   * and each would otherwise read (and parse) the same events from Redis.
   */
  private shared: { afterSeq: number; read: ReadResult; expires: NodeJS.Timeout } | undefined;
  private readonly queue: (() => Promise<void>)[] = [];
  private running = false;

  constructor(
    readonly ref: ChannelRef,
    private readonly engine: BusEngine,
    private readonly sink: DeliverySink,
    private readonly refill: RefillPolicy = DEFAULT_REFILL,
  ) {}

  /** True while work is queued or running; an idle stream with no subscribers may be dropped. */
  get busy(): boolean {
    return this.running || this.queue.length > 0;
  }

  /** Live events from the engine. The common case (next seq, idle queue) is delivered synchronously. */
  arrive(events: readonly Envelope[]): void {
    if (events.length === 0) return;
    // Only the next seq takes the fast path: an event at or below lastSeq is either a duplicate
    // or a sign of diverged history, which handleArrival tells apart.
    if (this.ready && !this.busy && events[0].epoch === this.epoch && events[0].seq === this.lastSeq + 1) {
      this.deliverFresh(events);
      return;
    }
    this.enqueue(() => this.handleArrival(events));
  }

  /** Replays what `since` missed (or nothing), joins the socket, and answers its position. */
  attach(since: Position | undefined, join: JoinFn, withSnapshot = false): Promise<AttachResult> {
    return new Promise<AttachResult>((resolve, reject) => {
      this.enqueue(async () => {
        try {
          resolve(await this.attachNow(since, join, withSnapshot));
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
  }

  /**
   * After the engine's live feed was interrupted, or a failover: deliver what was missed, or
   * reset. Resolves once done (it never rejects).
   */
  resume(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.enqueue(async () => {
        try {
          if (!this.ready) return;
          // Read from the last delivered event on, to check it is still the same event.
          const read = await this.readWithRetry(this.lastId === '' ? 0 : 1);
          if (read && read.epoch === this.epoch && this.diverged(read)) {
            await this.startNewEpoch();
            return;
          }
          if (read) await this.applyCatchUp(read);
        } finally {
          resolve();
        }
      });
    });
  }

  /**
   * History went backwards (Redis came back from an AOF that lost its last writes), or the event
   * this stream delivered at lastSeq is not the one Redis holds there (a replica promoted without
   * the last writes has since taken new ones under the same seqs).
   */
  private diverged(read: ReadResult): boolean {
    return read.seq < this.lastSeq || (read.complete && this.otherEventAtLastSeq(read.events));
  }

  /** Among `events`, the one at lastSeq is not the event this stream delivered there. */
  private otherEventAtLastSeq(events: readonly Envelope[]): boolean {
    if (this.lastId === '') return false;
    const atLast = events.find((event) => event.seq === this.lastSeq);
    return atLast !== undefined && atLast.id !== this.lastId;
  }

  /**
   * The seqs this stream delivered were lost, or reused for other events, which clients would
   * drop as duplicates: the channel gets a new epoch (one, whichever node asks first) and
   * subscribers are told EPOCH_CHANGED before its events.
   */
  private async startNewEpoch(): Promise<void> {
    await this.engine.resetEpoch(this.ref.key, this.epoch);
    const read = await this.readWithRetry();
    if (read && read.epoch !== this.epoch) await this.applyCatchUp(read);
    else this.reset({ epoch: this.epoch, seq: this.lastSeq }, 'UNAVAILABLE');
  }

  private async attachNow(since: Position | undefined, join: JoinFn, withSnapshot: boolean): Promise<AttachResult> {
    const afterSeq = since?.seq ?? Number.MAX_SAFE_INTEGER;
    if (!this.ready) {
      // Subscribe to the live feed before reading the baseline, so nothing falls between the two.
      await this.engine.watch(this.ref.key);
      const read = await this.engine.read(this.ref.key, afterSeq, { snapshot: withSnapshot });
      this.epoch = read.epoch;
      this.lastSeq = read.seq;
      this.lastId = '';
      this.ready = true;
      return attachSnapshot(answer(since, read, this.lastSeq, join), read);
    }
    // Ready: the stream knows "now" without I/O, unless the client's position differs from it
    // or a snapshot is wanted.
    if (!withSnapshot && (!since || (since.epoch === this.epoch && since.seq === this.lastSeq))) {
      return answer(since, { epoch: this.epoch, seq: this.lastSeq, complete: true, events: [] }, this.lastSeq, join);
    }
    // Behind: fetch the missed events. Ahead or another epoch: another node may already have
    // delivered events still on their way here, so Redis decides whether the position is real.
    const read =
      !withSnapshot && since?.epoch === this.epoch && afterSeq < this.lastSeq
        ? await this.catchUpRead(afterSeq)
        : await this.engine.read(this.ref.key, afterSeq, { snapshot: withSnapshot });
    // Events newer than lastSeq are still on their way here and will reach the room in order;
    // replaying them too would only duplicate them for this socket.
    return attachSnapshot(answer(since, read, read.epoch === this.epoch ? this.lastSeq : read.seq, join), read);
  }

  /**
   * What a subscriber behind this stream (same epoch, seq below lastSeq) missed. A recent shared
   * read answers it when it is complete from at or before `afterSeq` and reaches lastSeq: the
   * events up to lastSeq are the ones this stream delivered, whoever reads them.
   */
  private async catchUpRead(afterSeq: number): Promise<ReadResult> {
    const shared = this.shared;
    if (
      shared &&
      shared.read.epoch === this.epoch &&
      shared.read.complete &&
      shared.afterSeq <= afterSeq &&
      shared.read.seq >= this.lastSeq
    ) {
      return afterSeq === shared.afterSeq
        ? shared.read
        : { ...shared.read, events: shared.read.events.filter((event) => event.seq > afterSeq) };
    }
    const read = await this.engine.read(this.ref.key, afterSeq);
    this.share(afterSeq, read);
    return read;
  }

  private share(afterSeq: number, read: ReadResult): void {
    if (this.shared) clearTimeout(this.shared.expires);
    const expires = setTimeout(() => {
      if (this.shared?.expires === expires) this.shared = undefined;
    }, SHARED_READ_MS);
    expires.unref();
    this.shared = { afterSeq, read, expires };
  }

  private async handleArrival(events: readonly Envelope[]): Promise<void> {
    if (!this.ready) return; // nobody on this node has joined yet; their attach reads the baseline
    const first = events[0];
    if (this.retired.has(first.epoch)) return;
    if (first.epoch !== this.epoch) {
      // Redis lost the channel (restart without persistence, FLUSHALL, eviction): tell clients
      // their positions are void before the new epoch's events reach them.
      this.sink.reset(this.ref, { epoch: first.epoch, seq: 0 }, 'EPOCH_CHANGED');
      this.retire(first.epoch);
      this.lastSeq = 0;
      this.lastId = '';
    }
    const last = events[events.length - 1];
    if (first.seq <= this.lastSeq && this.otherEventAtLastSeq(events)) {
      await this.startNewEpoch();
      return;
    }
    if (last.seq <= this.lastSeq) return;
    if (first.seq <= this.lastSeq + 1) {
      this.deliverFresh(events);
      return;
    }
    // A seq jump: pub/sub dropped something. Refill from history before delivering anything later.
    this.sink.gapRefilled?.(this.ref);
    const read = await this.readWithRetry();
    if (read) {
      await this.applyCatchUp(read);
      if (this.lastSeq >= last.seq) return;
    } else {
      this.reset({ epoch: this.epoch, seq: first.seq - 1 }, 'UNAVAILABLE');
    }
    this.deliverFresh(events);
  }

  /** Brings the stream up to `read`: deliver the missing events, or reset when they are gone. */
  private async applyCatchUp(read: ReadResult): Promise<void> {
    if (read.epoch !== this.epoch) {
      // A new history: announce it from its start, then deliver what it already holds, so clients
      // miss nothing of the new epoch either.
      this.reset({ epoch: read.epoch, seq: 0 }, 'EPOCH_CHANGED');
      const fromStart = read.seq === 0 ? read : await this.readWithRetry();
      if (fromStart) await this.applyCatchUp(fromStart);
      return;
    }
    if (!read.complete) {
      this.reset({ epoch: read.epoch, seq: read.seq }, 'HISTORY_EXPIRED');
    } else {
      this.deliverFresh(read.events);
    }
  }

  private deliverFresh(events: readonly Envelope[]): void {
    if (events.length === 0) return;
    const fresh = events[0].seq > this.lastSeq ? events : events.filter((event) => event.seq > this.lastSeq);
    if (fresh.length === 0) return;
    this.lastSeq = fresh[fresh.length - 1].seq;
    this.lastId = fresh[fresh.length - 1].id;
    this.sink.deliver(this.ref, this.epoch, fresh);
  }

  private reset(position: Position, reason: ResetReason): void {
    this.retire(position.epoch);
    this.lastSeq = position.seq;
    this.lastId = '';
    this.sink.reset(this.ref, position, reason);
  }

  private retire(next: string): void {
    if (next !== this.epoch && this.epoch !== '') this.retired.add(this.epoch);
    if (this.retired.size > 16) this.retired.delete(this.retired.values().next().value as string);
    this.epoch = next;
  }

  /** Reads the events after lastSeq (and the `overlap` events up to it), trying a few times. */
  private async readWithRetry(overlap = 0): Promise<ReadResult | undefined> {
    for (let attempt = 0; attempt < this.refill.attempts; attempt++) {
      try {
        return await this.engine.read(this.ref.key, Math.max(0, this.lastSeq - overlap));
      } catch {
        await new Promise((resolve) => setTimeout(resolve, this.refill.backoffMs * 2 ** attempt));
      }
    }
    return undefined;
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue.push(task);
    if (!this.running) void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      for (let task = this.queue.shift(); task; task = this.queue.shift()) {
        try {
          await task();
        } catch {
          // Tasks report their own failures (attach rejects its caller); one failure must not stall the channel.
        }
      }
    } finally {
      this.running = false;
    }
  }
}

function attachSnapshot(position: AttachPosition, read: ReadResult): AttachResult {
  return read.snapshot ? { ...position, snapshot: { epoch: read.epoch, seq: read.seq, items: read.snapshot } } : position;
}

/** Decides recovered / not recovered for a subscriber, and joins it with the replay (if any). */
function answer(since: Position | undefined, read: ReadResult, cap: number, join: JoinFn): AttachPosition {
  const position = { epoch: read.epoch, seq: Math.min(read.seq, cap) };
  if (!since) {
    join([]);
    return position;
  }
  // A position ahead of the channel cannot come from this epoch's history (e.g. Redis restored
  // an older snapshot); replaying from it would hide the reused seqs, so it counts as a new epoch.
  if (since.epoch !== read.epoch || since.seq > read.seq) {
    join([]);
    return { ...position, recovered: false, reason: 'EPOCH_CHANGED' };
  }
  if (!read.complete) {
    join([]);
    return { ...position, recovered: false, reason: 'HISTORY_EXPIRED' };
  }
  const replay = read.events.filter((event) => event.seq <= position.seq);
  join(replay);
  // The client's position after the replay; never behind what it already had.
  return { epoch: read.epoch, seq: Math.max(since.seq, position.seq), recovered: true, missed: replay.length };
}
