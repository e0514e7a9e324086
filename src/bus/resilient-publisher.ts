import { Logger } from '@nestjs/common';
import CircuitBreaker from 'opossum';
import { AppError, ErrorCode } from '../common/app.errors';
import {
  EngineRefusedError,
  EngineUnavailableError,
  type BusEngine,
  type ChannelDrafts,
  type EventDraft,
  type PublishOutcome,
} from './bus-engine';
import { OutageQueue, type OutageSpool, type QueuedGroup } from './outage-queue';

/** The answer for a publish that waits in the outage queue: accepted, not yet sequenced. */
export interface QueuedOutcome {
  readonly id: string;
  readonly queued: true;
  readonly duplicate?: true;
}

export interface ResilientPublisherOptions {
  readonly maxEvents: number;
  readonly maxBytes: number;
  readonly spool?: OutageSpool;
  /** Instances alive right now, to adopt the spools of the dead ones. */
  readonly aliveInstances?: () => Promise<ReadonlySet<string>>;
  /** Redis answered a flush but refused it (full, read-only…): for logs, metrics and readiness. */
  readonly onRefused?: (error: EngineRefusedError) => void;
  /** Queued events Redis took (duplicates of an earlier try included), for metrics. */
  readonly onFlushed?: (events: number) => void;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

const FLUSH_RETRY_MS = [100, 200, 400, 800, 1000];
const FLUSH_WINDOW = 64;
// Internal idempotency keys contain a space, which user keys (printable ASCII, no spaces) never do.
const SPOOL_KEY_PREFIX = ' spool:';

/**
 * Publishing that survives a Redis outage. A circuit breaker (opossum) makes a dead Redis fail
 * fast instead of stacking timeouts; publishes it cannot take go to the bounded outage queue (and
 * its spool file), which is flushed in publish order when Redis answers again. While the queue
 * holds anything, new publishes queue behind it, so nothing newer overtakes. A full queue is
 * backpressure (503), never a silent drop.
 */
export class ResilientPublisher {
  private readonly logger = new Logger('OutageQueue');
  private readonly breaker: CircuitBreaker<[readonly ChannelDrafts[]], PublishOutcome[][]>;
  private readonly queue: OutageQueue;
  /** `<channel key>\n<idempotencyKey>` of queued drafts, so a retry during the outage is a duplicate too. */
  private readonly queuedKeys = new Map<string, string>();
  private flushing: Promise<void> | undefined;
  private closed = false;
  /**
   * Who holds publishing (a failover, a check after a reconnect): everything queues and nothing
   * is sent while any hold is on. Tokens, so one hold's end cannot lift another's.
   */
  private readonly holds = new Set<symbol>();

  constructor(
    private readonly engine: BusEngine,
    private readonly options: ResilientPublisherOptions,
  ) {
    this.queue = new OutageQueue({ maxEvents: options.maxEvents, maxBytes: options.maxBytes }, options.spool);
    this.breaker = new CircuitBreaker((groups: readonly ChannelDrafts[]) => engine.publishMany(groups), {
      timeout: false, // ioredis' commandTimeout bounds each call
      errorThresholdPercentage: 50,
      volumeThreshold: 3,
      resetTimeout: 1000,
      // Only storage failures open the circuit; anything else is a bug and must surface.
      errorFilter: (error: unknown) => !(error instanceof EngineUnavailableError),
    });
    this.breaker.on('open', () => this.logger.warn('circuit open: Redis publishes fail fast and queue'));
    this.breaker.on('close', () => this.logger.log('circuit closed'));
  }

  /** `held`: a failover is under way and new publishes queue (see hold()). */
  get state(): {
    breaker: BreakerState;
    held: boolean;
    queued: { events: number; bytes: number };
    limits: { events: number; bytes: number };
  } {
    const breaker: BreakerState = this.breaker.opened ? 'open' : this.breaker.halfOpen ? 'half-open' : 'closed';
    return {
      breaker,
      held: this.held,
      queued: this.queue.depth,
      limits: { events: this.options.maxEvents, bytes: this.options.maxBytes },
    };
  }

  private get held(): boolean {
    return this.holds.size > 0;
  }

  /** The groups of one publish request, in one engine call; all of them queue if Redis cannot take them. */
  async publish(requested: readonly ChannelDrafts[]): Promise<(PublishOutcome[] | QueuedOutcome[])[]> {
    // When the channels of a request can fail apart (Cluster), the part that failed is queued and
    // sent again with the whole request: keys from the first attempt on make the part that did
    // go out a duplicate then, not a second copy of the same events.
    const groups = this.engine.splitsChannels && requested.length > 1 ? withRetryKeys(requested) : requested;
    if (this.queue.empty && !this.held) {
      try {
        return await this.breaker.fire(groups);
      } catch (error) {
        if (!isUnavailable(error)) throw error;
      }
    }
    return this.enqueueAll(groups);
  }

  /**
   * Redis took connections again: close the circuit and flush now, instead of waiting for a
   * half-open trial (which could fire before the client reconnected and re-open the circuit).
   */
  nudge(): void {
    this.breaker.close();
    if (!this.queue.empty) void this.flush();
  }

  /** New publishes queue (and nothing is flushed) until release(token), and any other hold, ends. */
  hold(): symbol {
    const token = Symbol('hold');
    this.holds.add(token);
    return token;
  }

  /** This hold is over: with none left, flush what waited, in order, to the master that answers now. */
  release(token: symbol): void {
    this.holds.delete(token);
    this.nudge();
  }

  /** Tries to empty the queue before `deadline` (shutdown); what remains stays in the spool. */
  async drain(deadline: number): Promise<boolean> {
    while (!this.queue.empty && Date.now() < deadline) {
      await Promise.race([this.flush(), new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now())).unref())]);
    }
    return this.queue.empty;
  }

  close(): void {
    this.closed = true;
    this.breaker.shutdown();
  }

  /** Adopts queues left on disk by crashed instances; called when Redis is reachable. */
  async adoptOrphans(): Promise<void> {
    const { spool, aliveInstances } = this.options;
    if (!spool || !aliveInstances) return;
    const files = spool.orphans(await aliveInstances());
    let adopted = 0;
    for (const file of files) {
      for (const group of spool.adopt(file)) {
        this.queue.push(group, true);
        adopted += group.drafts.length;
      }
    }
    if (adopted > 0) {
      this.logger.warn(`adopted ${adopted} queued events from ${files.length} crashed instance(s)`);
      void this.flush();
    }
  }

  /**
   * Queues the groups of one request, all or none: a queue too full for all of them refuses the
   * request (503) before any of it is queued. A retry of a still-queued idempotency key is a duplicate.
   */
  private enqueueAll(groups: readonly ChannelDrafts[]): QueuedOutcome[][] {
    const outcomes: QueuedOutcome[][] = [];
    const fresh: ChannelDrafts[] = [];
    for (const { key, drafts } of groups) {
      const own: QueuedOutcome[] = [];
      const freshDrafts: EventDraft[] = [];
      for (const draft of drafts) {
        const pendingId = draft.idempotencyKey !== undefined ? this.queuedKeys.get(`${key}\n${draft.idempotencyKey}`) : undefined;
        if (pendingId !== undefined) {
          own.push({ id: pendingId, queued: true, duplicate: true });
          continue;
        }
        // Every queued event carries an idempotency key, so a flush repeated after a crash is deduplicated.
        freshDrafts.push(draft.idempotencyKey !== undefined ? draft : { ...draft, idempotencyKey: `${SPOOL_KEY_PREFIX}${draft.id}` });
        own.push({ id: draft.id, queued: true });
      }
      outcomes.push(own);
      if (freshDrafts.length > 0) fresh.push({ key, drafts: freshDrafts });
    }
    if (fresh.length > 0) {
      if (!this.queue.pushAll(fresh)) {
        throw new AppError(
          ErrorCode.UNAVAILABLE,
          'Redis is unreachable and the outage queue is full; retry later with the same idempotency keys',
          { queued: this.queue.depth },
          2,
        );
      }
      for (const { key, drafts } of fresh) {
        for (const draft of drafts) if (draft.idempotencyKey) this.queuedKeys.set(`${key}\n${draft.idempotencyKey}`, draft.id);
      }
      void this.flush();
    }
    return outcomes;
  }

  /**
   * One flusher at a time. It sends up to FLUSH_WINDOW head groups at once: they travel in order
   * on one connection and Redis runs them in order, so successes form a prefix, which is removed;
   * the rest is retried after a pause. A group that ran but lost its reply is sent again and
   * deduplicated by its idempotency key.
   */
  private flush(): Promise<void> {
    this.flushing ??= (async () => {
      let failures = 0;
      while (!this.closed && !this.held && !this.queue.empty) {
        const window = this.queue.head(FLUSH_WINDOW);
        const settled = await Promise.allSettled(window.map((group) => this.breaker.fire([group]).then(([outcomes]) => outcomes)));
        let failed = false;
        for (const [index, result] of settled.entries()) {
          if (result.status === 'fulfilled' && !failed) {
            this.shiftHead(window[index]);
            this.options.onFlushed?.(window[index].drafts.length);
          } else if (result.status === 'rejected' && !failed && result.reason instanceof EngineRefusedError) {
            // Accepted events are never dropped: a Redis that came back full keeps them queued
            // (and refuses new publishes) until it takes writes again.
            this.options.onRefused?.(result.reason);
            failed = true;
          } else if (result.status === 'rejected' && !failed && !isUnavailable(result.reason)) {
            // Only a bug makes Redis refuse a group for another reason; it would block the queue forever.
            this.logger.error(`dropping an unpublishable queued group for ${window[index].key}: ${(result.reason as Error).message}`);
            this.shiftHead(window[index]);
          } else {
            failed = true;
          }
        }
        if (!failed) {
          failures = 0;
          continue;
        }
        await new Promise((resolve) => setTimeout(resolve, FLUSH_RETRY_MS[Math.min(failures++, FLUSH_RETRY_MS.length - 1)]).unref());
      }
    })().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private shiftHead(head: QueuedGroup): void {
    this.queue.shift();
    for (const draft of head.drafts) if (draft.idempotencyKey) this.queuedKeys.delete(`${head.key}\n${draft.idempotencyKey}`);
  }
}

function withRetryKeys(groups: readonly ChannelDrafts[]): ChannelDrafts[] {
  return groups.map(({ key, drafts }) => ({
    key,
    drafts: drafts.map((draft) =>
      draft.idempotencyKey !== undefined ? draft : { ...draft, idempotencyKey: `${SPOOL_KEY_PREFIX}${draft.id}` },
    ),
  }));
}

function isUnavailable(error: unknown): boolean {
  return error instanceof EngineUnavailableError || (error as { code?: string }).code === 'EOPENBREAKER';
}
