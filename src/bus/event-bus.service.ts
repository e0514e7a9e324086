import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { ChannelRef } from '../channels/channel-ref';
import { MetricsService } from '../metrics/metrics.service';
import { NodeRegistry } from '../cluster/node-registry.service';
import { APP_CONFIG, type AppConfig } from '../config';
import type { BusEngine, EventDraft } from './bus-engine';
import { ChannelStream, DELIVERY_SINK, type AttachResult, type DeliverySink, type JoinFn } from './channel-stream';
import type { Envelope, Position } from './envelope';
import { OutageSpool } from './outage-queue';
import { ResilientPublisher } from './resilient-publisher';
import { StorageGuard, type StorageRefusalState } from './storage-guard';
import type { Mutable } from '../common/mutable';

export const BUS_ENGINE = Symbol('BUS_ENGINE');

export interface PublishRequest {
  readonly ref: ChannelRef;
  readonly event: string;
  readonly data: unknown;
  /** data's JSON text, when the caller measured it already (the publish API): not serialized again. */
  readonly dataJson?: string;
  readonly correlationId?: string;
  readonly idempotencyKey?: string;
  /** Keep this event in the channel's snapshot as the latest for this key. */
  readonly snapshotKey?: string;
}

/** Published: its position. Queued during a Redis outage: accepted, sequenced when flushed. */
export type PublishResult =
  | { readonly id: string; readonly channel: string; readonly seq: number; readonly epoch: string; readonly duplicate?: true }
  | { readonly id: string; readonly channel: string; readonly queued: true; readonly duplicate?: true };

/** How long a channel nobody on this node follows keeps its subscription, so quick re-joins don't churn Redis. */
const RELEASE_LINGER_MS = 5000;
const DRAIN_ON_SHUTDOWN_MS = 2000;
const INTERNAL_WATCH_RETRY_MS = 1000;
/**
 * Longest held publishes wait for this node's channels to be checked (see checkStreams). A check
 * is one read per channel; the bound is for a server that answers the connection but not reads.
 * It was 2 s, which a starved CI machine once overran: the held publishes then reused seqs the
 * promoted replica had lost, and went out with the old epoch.
 */
const RELEASE_CHECK_MS = 5000;

/**
 * The only door to the event engine. Publishers call publish(); the realtime layer calls
 * attach()/release() and receives deliveries through its DeliverySink. Local delivery
 * (ChannelStream → sink) and cluster fan-out (the engine) are separate steps.
 */
@Injectable()
export class EventBus implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('EventBus');
  private readonly streams = new Map<string, ChannelStream>();
  private readonly releaseTimers = new Map<string, NodeJS.Timeout>();
  private readonly internal = new Map<string, Set<(event: Envelope) => void>>();
  /** Called when internal feeds (re)become live after a gap, so listeners can reload what they missed. */
  private readonly onLive = new Set<() => void>();
  private readonly internalFailed = new Set<string>();
  /** Internal keys being watched (or whose watch is in flight). */
  private readonly internalWatches = new Map<string, Promise<void>>();
  private readonly resilient: ResilientPublisher | undefined;
  private adopter: NodeJS.Timeout | undefined;
  /** The hold a failover put on publishing, until its check is done. */
  private failoverHold: symbol | undefined;
  private closing = false;
  private readonly storage: StorageGuard;
  /** A crashed instance's spool becomes adoptable once its heartbeat expires; look that often. */
  private readonly adoptIntervalMs: number;

  constructor(
    @Inject(BUS_ENGINE) private readonly engine: BusEngine,
    @Inject(APP_CONFIG) config: AppConfig,
    nodes: NodeRegistry,
    private readonly metrics: MetricsService,
    @Inject(DELIVERY_SINK) private readonly sink: DeliverySink,
  ) {
    this.adoptIntervalMs = config.cluster.nodeTtlSeconds * 1000;
    this.storage = new StorageGuard(metrics, () => this.resilient?.state.queued.events ?? 0);
    // The embedded engine cannot be unreachable; only Redis publishes need the breaker and the outage queue.
    this.resilient =
      engine.kind === 'redis'
        ? new ResilientPublisher(engine, {
            maxEvents: config.outage.maxEvents,
            maxBytes: config.outage.maxBytes,
            spool: new OutageSpool(config.outage.spoolDir, nodes.instanceId),
            aliveInstances: () => nodes.aliveInstances(),
            onRefused: (error) => this.storage.refused(error),
            onFlushed: (events) => metrics.observeBus('flushed', events),
          })
        : undefined;
    engine.setListener({
      arrived: (key, events) => this.onArrived(key, events),
      resumed: () => {
        for (const stream of this.streams.values()) void stream.resume();
        this.catchUpInternal();
        void this.resilient?.adoptOrphans().catch(() => undefined);
      },
      writable: () => void this.checkBeforePublishing(this.resilient?.hold()),
      holding: () => {
        this.failoverHold ??= this.resilient?.hold();
      },
      released: () => {
        const held = this.failoverHold;
        this.failoverHold = undefined;
        void this.checkBeforePublishing(held);
      },
      subscriptionsRepaired: (missing) => metrics.subscriptionRepairs.inc(missing),
    });
    metrics.provide({
      outage: () => {
        const state = this.outage;
        return (
          state && {
            queuedEvents: state.queued.events,
            queuedBytes: state.queued.bytes,
            maxEvents: state.limits.events,
            breaker: state.breaker,
          }
        );
      },
    });
  }

  /**
   * Publishing waits (`held`) until this node's channels are checked, then the hold ends. After a
   * failover, and after any reconnect of the publish connection: the server that answers now may
   * be a replica promoted without the last writes, or a restart from an AOF that lost them, and the
   * sentinels' "failover starting" can reach this node after the reconnect, or not at all.
   */
  private async checkBeforePublishing(held: symbol | undefined): Promise<void> {
    if (!held) return;
    try {
      await this.checkStreams();
    } finally {
      this.resilient?.release(held);
    }
  }

  /**
   * Before held publishes go out: every channel followed here is compared
   * with the new master, so one whose last writes the promoted replica never got moves to a new
   * epoch before new events can reuse its seqs (those would be lost with the old epoch). Bounded:
   * a slow check lets the publishes go after RELEASE_CHECK_MS.
   */
  private async checkStreams(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, RELEASE_CHECK_MS);
    });
    await Promise.race([Promise.all([...this.streams.values()].map((stream) => stream.resume())), bound]);
    clearTimeout(timer);
  }

  /** Outage state for health and metrics. */
  get outage(): ResilientPublisher['state'] | undefined {
    return this.resilient?.state;
  }

  onModuleInit(): void {
    if (!this.resilient) return;
    // Queues left by crashed workers are adopted whenever Redis is reachable; resumes trigger it too.
    this.adopter = setInterval(() => void this.resilient?.adoptOrphans().catch(() => undefined), this.adoptIntervalMs);
    this.adopter.unref();
    void this.resilient.adoptOrphans().catch(() => undefined);
  }

  /** Set while storage refuses writes (answers, but with OOM, READONLY…); readiness and metrics read it. */
  get storageRefusal(): StorageRefusalState | undefined {
    return this.storage.refusal;
  }

  /** Channels this node holds a live feed for (followed here, or lingering before release). */
  get localChannels(): number {
    return this.streams.size;
  }

  get engineKind(): BusEngine['kind'] {
    return this.engine.kind;
  }

  /**
   * Publishes in request order. Events for the same channel go to the engine together, so they
   * get consecutive seqs and reach clients as one `batch`. Results come back in request order.
   * While Redis is unreachable they wait in the outage queue (`queued: true`); only a full queue
   * fails the call (UNAVAILABLE), possibly after other channels of the call were accepted, so
   * callers retry with the same idempotency keys.
   */
  async publish(requests: readonly PublishRequest[]): Promise<PublishResult[]> {
    const ts = Date.now();
    const groups = new Map<string, { drafts: EventDraft[]; indexes: number[] }>();
    requests.forEach((request, index) => {
      let group = groups.get(request.ref.key);
      if (!group) {
        group = { drafts: [], indexes: [] };
        groups.set(request.ref.key, group);
      }
      // Assigned, not spread: conditional spreads allocate a throwaway object per field, per event.
      const draft: Mutable<EventDraft> = { id: randomUUID(), channel: request.ref.channel, event: request.event, data: request.data, ts };
      if (request.dataJson !== undefined) draft.dataJson = request.dataJson;
      if (request.correlationId !== undefined) draft.correlationId = request.correlationId;
      if (request.idempotencyKey !== undefined) draft.idempotencyKey = request.idempotencyKey;
      if (request.snapshotKey !== undefined) draft.snapshotKey = request.snapshotKey;
      group.drafts.push(draft);
      group.indexes.push(index);
    });
    // All or nothing for the channels a call would create: no partial batch for a company at its bound.
    if (this.engine.admit) await this.storage.run(() => Promise.resolve(this.engine.admit?.([...groups.keys()])));
    const results = new Array<PublishResult>(requests.length);
    const channels = [...groups].map(([key, group]) => ({ key, drafts: group.drafts }));
    // One engine call for the whole request: on Redis, one round trip however many channels it touches.
    let outcomes: Awaited<ReturnType<BusEngine['publishMany']>> | Awaited<ReturnType<ResilientPublisher['publish']>>;
    try {
      outcomes = await this.storage.run(() => (this.resilient ? this.resilient.publish(channels) : this.engine.publishMany(channels)));
    } catch (error) {
      this.metrics.observeBus('refused', requests.length);
      throw error;
    }
    if (!outcomes.some((own) => own.some((outcome) => 'queued' in outcome))) this.storage.wrote();
    let written = 0;
    let queued = 0;
    let g = 0;
    for (const group of groups.values()) {
      outcomes[g++].forEach((outcome, i) => {
        const index = group.indexes[i];
        const channel = requests[index].ref.channel;
        const duplicate = outcome.duplicate ? { duplicate: true as const } : {};
        if (!outcome.duplicate) {
          this.metrics.observePublished(requests[index].ref);
          if ('queued' in outcome) queued += 1;
          else written += 1;
        }
        results[index] =
          'queued' in outcome
            ? { id: outcome.id, channel, queued: true, ...duplicate }
            : { id: outcome.id, channel, seq: outcome.seq, epoch: outcome.epoch, ...duplicate };
      });
    }
    this.metrics.observeBus('written', written);
    this.metrics.observeBus('queued', queued);
    return results;
  }

  /**
   * Joins a subscriber to a channel's live feed, replaying from `since` first when possible.
   * With `snapshot`, the result also carries the channel's latest event per snapshot key.
   *
   * The order (replay, then the held live events, then the room) is the caller's `join`
   * (SubscriptionService, for every transport); this side guarantees that no live event is
   * delivered while `join` runs (ChannelStream's critical section), so the two cannot interleave.
   */
  attach(ref: ChannelRef, since: Position | undefined, join: JoinFn, options: { snapshot?: boolean } = {}): Promise<AttachResult> {
    this.cancelRelease(ref.key);
    const stream = this.stream(ref);
    // Every attach ends by scheduling a release, which keeps the feed only if someone follows the
    // channel when it fires: a subscriber that left (or failed) while history was being read never
    // joined, so no room deletion or member removal would ever release the feed it opened.
    return this.storage.run(() => stream.attach(since, join, options.snapshot ?? false)).finally(() => this.release(ref));
  }

  /** Called when a channel may have lost its last local subscriber; unwatches after a linger. */
  release(ref: ChannelRef): void {
    if (this.releaseTimers.has(ref.key) || !this.streams.has(ref.key)) return;
    const timer = setTimeout(() => {
      this.releaseTimers.delete(ref.key);
      const stream = this.streams.get(ref.key);
      if (!stream || stream.busy || this.sink.hasLocalSubscribers(ref)) return;
      this.streams.delete(ref.key);
      this.engine.unwatch(ref.key).catch((error: Error) => this.logger.warn(`unwatch ${ref.key}: ${error.message}`));
    }, RELEASE_LINGER_MS);
    timer.unref();
    this.releaseTimers.set(ref.key, timer);
  }

  /**
   * Internal signals between instances (`!`-prefixed keys, which no tenant channel can produce):
   * every instance that listens on a key receives every signal published to it, through the same
   * engine as client events. Listening resolves once the feed is live.
   */
  async listen(key: string, handler: (event: Envelope) => void, onLive?: () => void): Promise<void> {
    if (!key.startsWith('!')) throw new Error(`internal keys start with "!": ${key}`);
    let listeners = this.internal.get(key);
    if (!listeners) {
      listeners = new Set();
      this.internal.set(key, listeners);
    }
    listeners.add(handler);
    if (onLive) this.onLive.add(onLive);
    await this.watchInternal(key);
  }

  /**
   * Watches an internal key. If storage is unreachable (say, Redis is down at boot), the first
   * attempt fails to the caller but the watch keeps being retried, so signals flow once it is back.
   */
  private watchInternal(key: string): Promise<void> {
    let pending = this.internalWatches.get(key);
    if (pending) return pending;
    pending = this.storage.run(() => this.engine.watch(key));
    this.internalWatches.set(key, pending);
    pending.then(
      () => {
        // Live after earlier failures: signals sent meanwhile were missed; listeners catch up from their stores.
        if (this.internalFailed.delete(key)) this.catchUpInternal();
      },
      () => this.internalFailed.add(key),
    );
    pending.catch(() => {
      this.internalWatches.delete(key);
      if (this.closing) return;
      const retry = setTimeout(() => void this.watchInternal(key).catch(() => undefined), INTERNAL_WATCH_RETRY_MS);
      retry.unref();
    });
    return pending;
  }

  /** Publishes an internal signal; kept in history only briefly, as nobody replays signals. */
  async signal(key: string, event: string, data: unknown): Promise<void> {
    await this.storage.run(() =>
      this.engine.publish(key, [{ id: randomUUID(), channel: key, event, data, ts: Date.now() }], { size: 16, ttlSeconds: 60 }),
    );
    this.storage.wrote();
  }

  /** Flushes the outage queue within `budgetMs`; true when nothing is left (it stays in the spool otherwise). */
  async drainOutageQueue(budgetMs: number): Promise<boolean> {
    return this.resilient ? this.resilient.drain(Date.now() + budgetMs) : true;
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    clearInterval(this.adopter);
    for (const timer of this.releaseTimers.values()) clearTimeout(timer);
    this.releaseTimers.clear();
    this.streams.clear();
    if (this.resilient) {
      // Whatever cannot be flushed in time stays in the spool file for the next instance to adopt.
      await this.resilient.drain(Date.now() + DRAIN_ON_SHUTDOWN_MS);
      this.resilient.close();
    }
    await this.engine.close();
  }

  private onArrived(key: string, events: readonly Envelope[]): void {
    const listeners = this.internal.get(key);
    if (listeners) {
      for (const event of events) for (const listener of listeners) this.safely(key, () => listener(event));
      return;
    }
    const stream = this.streams.get(key);
    if (stream) this.safely(key, () => stream.arrive(events));
  }

  private catchUpInternal(): void {
    for (const callback of this.onLive) this.safely('internal catch-up', callback);
  }

  private safely(key: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.logger.error(`delivery on ${key} failed: ${(error as Error).message}`);
    }
  }

  private stream(ref: ChannelRef): ChannelStream {
    let stream = this.streams.get(ref.key);
    if (!stream) {
      stream = new ChannelStream(ref, this.engine, this.sink);
      this.streams.set(ref.key, stream);
    }
    return stream;
  }

  private cancelRelease(key: string): void {
    const timer = this.releaseTimers.get(key);
    if (timer) {
      clearTimeout(timer);
      this.releaseTimers.delete(key);
    }
  }
}
