import { Injectable, type OnModuleInit } from '@nestjs/common';
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import cluster from 'node:cluster';
import { CompanyActivity } from './company-activity';

/** Companies shown by name in switchboard_connections_by_company; the rest are summed as `_other`. */
export const TOP_COMPANIES = 10;
export const OTHER_COMPANIES = '_other';

export const RECENT_AUTH_FAILURES = 50;

export interface AuthFailure {
  readonly code: string;
  /** The company the refused token claimed, when it could be read (for the admin dashboard). */
  readonly company?: string;
  /** Namespace or HTTP path. */
  readonly where: string;
  readonly ip: string | undefined;
  readonly at: number;
}

export type SubscribeOutcome = 'live' | 'recovered' | 'epoch_changed' | 'history_expired' | 'refused';

/** Live values read at scrape time, registered by the services that own them. */
export interface MetricSources {
  connectionsByNamespace(): Record<string, number>;
  companiesOfConnections(): Iterable<string>;
  outage(): { queuedEvents: number; queuedBytes: number; maxEvents: number; breaker: 'closed' | 'half-open' | 'open' } | undefined;
  /** The last /health/ready answer on this process (probes call it): true, false, or undefined before any. */
  ready(): boolean | undefined;
  slowConsumerDisconnects(): number;
  agentsOnline(): number;
  printJobsInFlight(): number;
  presenceMembers(): number;
  /** 0 while Redis refuses writes, 1 otherwise (or on the embedded engine). */
  storageWritable(): number;
  /** Absent without OUTBOX_DATABASE_URL. */
  outbox(): { draining: boolean; oldestRowAgeSeconds: number } | undefined;
  /** Open sessions on the plain transports (SSE, WebSocket), by transport and namespace. */
  streamConnections(): readonly { transport: string; namespace: string; count: number }[];
  /** Client connections on this process (Engine.IO sessions + streams) and MAX_CONNECTIONS (0: unlimited). */
  capacity(): { connections: number; max: number };
  /** Absent without WEBHOOK_URLS. `queued`: as of this process's last look (each WEBHOOK_POLL_MS). */
  webhooks(): { queued: number; buffered: number } | undefined;
  /** Per namespace: channels with a subscriber on this process, subscriptions to them, and the largest. */
  roomOccupancy(): readonly RoomOccupancy[];
  /** Branches that had a printing agent and have none now (cluster-wide), with when they lost it. */
  branchesWithoutAgent(): Promise<readonly { companyId: string; branchId: string; offlineSince: number }[]>;
}

export interface RoomOccupancy {
  /** With its slash, as in switchboard_connections. */
  readonly namespace: string;
  readonly channels: number;
  readonly subscriptions: number;
  readonly largest: number;
}

/** Branches named in switchboard_print_agent_offline_seconds (the longest offline first); the count covers all. */
export const TOP_OFFLINE_BRANCHES = 50;

/** What became of events handed to the bus: written to storage, queued in the outage queue, written later from it, or refused (503). */
export type BusPublishOutcome = 'written' | 'queued' | 'flushed' | 'refused';

const BREAKER_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;
/** Resolution of the event-loop lag histogram (nodejs_eventloop_lag_*), in ms. */
const EVENT_LOOP_SAMPLE_MS = 100;

/** The bound series of one namespace (see MetricsService.seriesOf). */
interface NamespaceSeries {
  readonly published: Counter.Internal;
  readonly payload: Histogram.Internal<'namespace'>;
  readonly delivered: Counter.Internal;
  readonly latency: Histogram.Internal<'namespace'>;
}

/**
 * Every Switchboard metric, in one registry per application (tests run several in one process,
 * so the global registry is not used). A sticky-cluster worker also lends its registry to
 * prom-client's cluster aggregator, which the primary serves on METRICS_PORT.
 *
 * Counters are incremented where things happen; gauges read their owners at scrape time, so a
 * scrape never sees a stale copy and the hot paths pay nothing for them.
 */
@Injectable()
export class MetricsService implements OnModuleInit {
  readonly registry = new Registry();
  private sources: Partial<MetricSources> = {};

  /**
   * Accepted handshakes not yet added to `handshakes`, per namespace: a handshake adds one to a
   * plain number, and a scrape moves the sums into the counter. prom-client hashes the label set on
   * every `inc`, ~2 µs of each handshake (issue 14, handshakes/s).
   */
  private readonly acceptedHandshakes = new Map<string, number>();
  readonly handshakes: Counter<'namespace' | 'outcome'> = new Counter({
    name: 'switchboard_handshakes_total',
    help: 'Socket.IO handshakes by namespace and outcome (accepted, or the connect_error code).',
    labelNames: ['namespace', 'outcome'] as const,
    registers: [this.registry],
    collect: () => {
      for (const [namespace, count] of this.acceptedHandshakes) this.handshakes.inc({ namespace, outcome: 'accepted' }, count);
      this.acceptedHandshakes.clear();
    },
  });
  readonly authFailures = new Counter({
    name: 'switchboard_auth_failures_total',
    help: 'Refused handshakes and HTTP requests by error code (AUTH_MISSING, AUTH_INVALID, AUTH_EXPIRED, FORBIDDEN, REVOKED, ...).',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly streamSessions = new Counter({
    name: 'switchboard_stream_sessions_total',
    help: 'Sessions on the plain transports (transport="sse" or "ws"): outcome="opened", or how they ended (closed by the client, draining, AUTH_EXPIRED, REVOKED, SLOW_CONSUMER, IDLE_TIMEOUT, RATE_LIMITED).',
    labelNames: ['transport', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly subscribes = new Counter({
    name: 'switchboard_subscribes_total',
    help: 'Subscribes by namespace and outcome: live (no position given), recovered, epoch_changed, history_expired, refused.',
    labelNames: ['namespace', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly published = new Counter({
    name: 'switchboard_events_published_total',
    help: 'Events accepted for publishing by this process (HTTP or internal), by namespace.',
    labelNames: ['namespace'] as const,
    registers: [this.registry],
  });
  readonly delivered = new Counter({
    name: 'switchboard_events_delivered_total',
    help: 'Event deliveries to sockets on this process (one per event per subscribed socket), by namespace.',
    labelNames: ['namespace'] as const,
    registers: [this.registry],
  });
  readonly deliveryFrames = new Counter({
    name: 'switchboard_delivery_frames_total',
    help: 'Live frames written to sockets on this process, by path: `direct` (straight to an idle WebSocket) or `engine` (through Engine.IO: polling, an upgrade, or a write already in flight).',
    labelNames: ['path'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'switchboard_publish_to_deliver_seconds',
    help: "From the publish being accepted (the envelope's ts) to the event being handed to this process's sockets.",
    labelNames: ['namespace'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly payloadBytes = new Histogram({
    name: 'switchboard_publish_payload_bytes',
    help: "Size of each published event's data (JSON bytes), by namespace.",
    labelNames: ['namespace'] as const,
    buckets: [64, 256, 1024, 4096, 16_384, 65_536, 262_144, 1_048_576],
    registers: [this.registry],
  });
  readonly busPublishes = new Counter({
    name: 'switchboard_bus_publishes_total',
    help: 'Events handed to the bus storage (Redis, or memory on the embedded engine), by outcome: written, queued (storage unreachable: the outage queue), flushed (written later from the queue), refused (the publisher got 503: the queue was full or storage refuses writes).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly reconnections = new Counter({
    name: 'switchboard_reconnections_total',
    help: 'Connections that came back: a socket or stream whose subscribes give a position (`since`), counted once per connection, by namespace.',
    labelNames: ['namespace'] as const,
    registers: [this.registry],
  });
  readonly connectionDuration = new Histogram({
    name: 'switchboard_connection_duration_seconds',
    help: 'How long Socket.IO connections lasted, observed when they end, by namespace.',
    labelNames: ['namespace'] as const,
    buckets: [1, 10, 60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600, 24 * 3600],
    registers: [this.registry],
  });
  readonly gapRefills = new Counter({
    name: 'switchboard_gap_refills_total',
    help: 'Live-stream gaps (a pub/sub message lost or late) refilled from Redis history before delivery.',
    registers: [this.registry],
  });
  readonly channelResets = new Counter({
    name: 'switchboard_channel_resets_total',
    help: 'channel:reset sent to subscribers (the stream could not continue gap-free), by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: 'switchboard_rate_limited_total',
    help: 'Client messages refused with RATE_LIMITED.',
    registers: [this.registry],
  });
  readonly storageRefusals = new Counter({
    name: 'switchboard_storage_refusals_total',
    help: 'Writes Redis answered but refused, by reason: full (OOM at maxmemory), read-only (a replica), persistence (MISCONF), error.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly subscriptionRepairs = new Counter({
    name: 'switchboard_bus_subscription_repairs_total',
    help: 'Channel subscriptions Redis no longer held for this node, found by the subscription audit, made again and caught up from history. Should stay 0.',
    registers: [this.registry],
  });
  readonly outboxRows = new Counter({
    name: 'switchboard_outbox_rows_total',
    help: 'Postgres outbox rows handled by this process: published (deleted once the bus took them; republished ones included), parked (invalid, moved to switchboard_outbox_parked), republished (published before by a drainer that died before deleting them; answered as duplicates).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly webhookEvents = new Counter({
    name: 'switchboard_webhook_events_total',
    help: 'Operator events raised on this process for webhooks, by type and outcome: queued, duplicate (raised before, on this node or another: not sent again), dropped (could not be queued: Redis unreachable and the local buffer full).',
    labelNames: ['type', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly webhookSends = new Counter({
    name: 'switchboard_webhook_sends_total',
    help: 'Webhook requests sent by this process: outcome="delivered" (2xx), "failed" (will be retried), "dead_lettered" (failed WEBHOOK_MAX_ATTEMPTS times).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly printJobUpdates = new Counter({
    name: 'switchboard_print_job_updates_total',
    help: 'Print job status changes made by this process, by the status reached (queued, dispatched, acked, printed, failed, cancelled, expired).',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  constructor() {
    const read = <K extends keyof MetricSources>(key: K): MetricSources[K] | undefined => this.sources[key];
    new Gauge({
      name: 'switchboard_connections',
      help: 'Connected sockets on this process, by namespace.',
      labelNames: ['namespace'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [namespace, count] of Object.entries(read('connectionsByNamespace')?.() ?? {})) this.set({ namespace }, count);
      },
    });
    new Gauge({
      name: 'switchboard_connections_by_company',
      help: `Connected sockets on this process for the ${TOP_COMPANIES} companies with the most, the rest summed as company="${OTHER_COMPANIES}".`,
      labelNames: ['company'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [company, count] of topCompanies(read('companiesOfConnections')?.() ?? [])) this.set({ company }, count);
      },
    });
    /** `aggregator`: how the sticky primary combines its workers' values ('sum' unless the value is cluster-wide). */
    const scalar = (name: string, help: string, value: () => number, aggregator: 'sum' | 'max' = 'sum') =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        aggregator,
        collect() {
          this.set(value());
        },
      });
    scalar(
      'switchboard_outage_queue_events',
      'Publishes held in memory while Redis is unreachable.',
      () => read('outage')?.()?.queuedEvents ?? 0,
    );
    scalar('switchboard_outage_queue_bytes', 'Bytes held in the outage queue.', () => read('outage')?.()?.queuedBytes ?? 0);
    scalar(
      'switchboard_outage_queue_max_events',
      'OUTAGE_QUEUE_MAX_EVENTS: past it, publishes are refused (503). 0 on the embedded engine (no queue).',
      () => read('outage')?.()?.maxEvents ?? 0,
    );
    scalar(
      'switchboard_ready',
      'The last /health/ready answer on this process: 1 ready, 0 not ready, -1 not asked yet (probes call it).',
      () => {
        const ready = read('ready')?.();
        return ready === undefined ? -1 : ready ? 1 : 0;
      },
    );
    scalar(
      'switchboard_bus_breaker_state',
      'Circuit breaker in front of Redis publishes: 0 closed, 1 half-open, 2 open.',
      () => BREAKER_VALUE[read('outage')?.()?.breaker ?? 'closed'],
    );
    scalar(
      'switchboard_process_connections',
      'Client connections on this process: Engine.IO sessions (one per Socket.IO client, whatever its namespaces) plus SSE streams and plain WebSockets. MAX_CONNECTIONS caps it.',
      () => read('capacity')?.()?.connections ?? 0,
    );
    scalar(
      'switchboard_process_connections_max',
      'MAX_CONNECTIONS (0: unlimited). At it, /health/ready is 503.',
      () => read('capacity')?.()?.max ?? 0,
    );
    scalar(
      'switchboard_webhook_queue_depth',
      'Webhook deliveries waiting to be sent or retried, in the shared queue (Redis) or this process (embedded engine).',
      () => read('webhooks')?.()?.queued ?? 0,
      // The shared queue's depth, the same from every worker: summed it would count it N times.
      'max',
    );
    scalar(
      'switchboard_webhook_buffered_events',
      'Webhook events held in this process because the queue (Redis) was unreachable when they were raised; queued once it answers.',
      () => read('webhooks')?.()?.buffered ?? 0,
    );
    scalar('switchboard_outbox_draining', '1 while this process holds the outbox drain lock (one process of a deployment should).', () =>
      read('outbox')?.()?.draining ? 1 : 0,
    );
    scalar(
      'switchboard_outbox_oldest_row_age_seconds',
      'Age of the oldest row in the Postgres outbox when the draining process last looked (0: empty, or not the drainer). Alert when it grows.',
      () => read('outbox')?.()?.oldestRowAgeSeconds ?? 0,
    );
    new Gauge({
      name: 'switchboard_stream_connections',
      help: 'Open sessions on the plain transports on this process (transport="sse" or "ws"), by namespace. Socket.IO sockets are in switchboard_connections.',
      labelNames: ['transport', 'namespace'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const { transport, namespace, count } of read('streamConnections')?.() ?? []) this.set({ transport, namespace }, count);
      },
    });
    new Counter({
      name: 'switchboard_slow_consumer_disconnects_total',
      help: 'Connections closed with SLOW_CONSUMER (too much data buffered outbound).',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(read('slowConsumerDisconnects')?.() ?? 0);
      },
    });
    scalar(
      'switchboard_storage_writable',
      'Whether the bus storage takes writes: 0 while Redis answers but refuses them (see switchboard_storage_refusals_total), else 1.',
      () => read('storageWritable')?.() ?? 1,
    );
    scalar('switchboard_print_agents_online', 'Printing agents connected to this process.', () => read('agentsOnline')?.() ?? 0);
    scalar(
      'switchboard_print_jobs_in_flight',
      'Print jobs sent to agents on this process and not yet acknowledged.',
      () => read('printJobsInFlight')?.() ?? 0,
    );
    scalar(
      'switchboard_presence_members',
      'Distinct users connected to /presence on this process.',
      () => read('presenceMembers')?.() ?? 0,
    );
    const occupancy = (name: string, help: string, value: (room: RoomOccupancy) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['namespace'],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const room of read('roomOccupancy')?.() ?? []) this.set({ namespace: room.namespace }, value(room));
        },
      });
    occupancy('switchboard_rooms', 'Channels with at least one subscriber on this process, by namespace.', (room) => room.channels);
    occupancy(
      'switchboard_room_subscriptions',
      'Channel subscriptions on this process (a socket or stream on a channel), by namespace.',
      (room) => room.subscriptions,
    );
    occupancy(
      'switchboard_room_subscribers_max',
      'Subscribers of the most followed channel on this process, by namespace.',
      (room) => room.largest,
    );
    // Cluster-wide (every process reports the same branches): alert on max by (company, branch).
    // Both series of one scrape share one read (prom-client collects metrics in parallel); while
    // storage is unreachable the last answer stands rather than "no branch offline".
    let known: readonly { companyId: string; branchId: string; offlineSince: number }[] = [];
    let reading: Promise<void> | undefined;
    const branchesWithoutAgent = async () => {
      const source = read('branchesWithoutAgent');
      if (!source) return known;
      reading ??= source()
        .then(
          (branches) => void (known = branches),
          () => undefined,
        )
        .finally(() => (reading = undefined));
      await reading;
      return known;
    };
    new Gauge({
      name: 'switchboard_print_agent_offline_seconds',
      help: `Seconds since each branch that had a printing agent lost its last one, cluster-wide: the ${TOP_OFFLINE_BRANCHES} longest offline (switchboard_print_branches_without_agent counts all).`,
      labelNames: ['company', 'branch'],
      registers: [this.registry],
      // Every worker of a sticky cluster reports the same branches: the primary must not sum them.
      aggregator: 'max',
      async collect() {
        const branches = await branchesWithoutAgent();
        this.reset();
        const now = Date.now();
        const longest = [...branches].sort((a, b) => a.offlineSince - b.offlineSince).slice(0, TOP_OFFLINE_BRANCHES);
        for (const branch of longest) {
          this.set({ company: branch.companyId, branch: branch.branchId }, Math.max(0, Math.round((now - branch.offlineSince) / 1000)));
        }
      },
    });
    new Gauge({
      name: 'switchboard_print_branches_without_agent',
      help: 'Branches that had a printing agent and have none now, cluster-wide.',
      registers: [this.registry],
      aggregator: 'max',
      async collect() {
        this.set((await branchesWithoutAgent()).length);
      },
    });
  }

  onModuleInit(): void {
    // Event-loop lag (nodejs_eventloop_lag_*), heap, GC, handles, CPU, RSS.
    // No per-process label: Prometheus labels each target itself, and the sticky primary's
    // aggregator sums series across workers only when their labels match.
    // The lag histogram samples every EVENT_LOOP_SAMPLE_MS: prom-client's 10 ms default woke an
    // idle node 100 times a second, most of its idle CPU on a VM (issue 14). A stall longer than
    // the interval is always caught; shorter ones in proportion to their length.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
    if (cluster.isWorker) {
      AggregatorRegistry.setRegistries([this.registry]);
      // prom-client answers the primary's metric requests only once an AggregatorRegistry exists.
      new AggregatorRegistry();
    }
  }

  /** The last RECENT_AUTH_FAILURES auth refusals on this process, newest last (admin dashboard). */
  readonly recentAuthFailures: AuthFailure[] = [];

  recordAuthFailure(failure: Omit<AuthFailure, 'at'>): void {
    this.authFailures.inc({ code: failure.code });
    this.recentAuthFailures.push({ ...failure, at: Date.now() });
    if (this.recentAuthFailures.length > RECENT_AUTH_FAILURES) this.recentAuthFailures.shift();
  }

  /** Owners of live values plug them in (each source is optional: a missing module reads 0). */
  provide(sources: Partial<MetricSources>): void {
    this.sources = { ...this.sources, ...sources };
  }

  /** Per-company activity of the last second, for the admin dashboard. */
  readonly activity = new CompanyActivity();
  private readonly namespaceSeries = new Map<string, NamespaceSeries>();
  private readonly framesDirect = this.deliveryFrames.labels('direct');
  private readonly framesEngine = this.deliveryFrames.labels('engine');

  /** `namespace` without its slash, as in channel refs. */
  observeDelivery(ref: { namespace: string; companyId: string }, sockets: number, events: readonly { ts: number }[]): void {
    const series = this.seriesOf(ref.namespace);
    if (sockets > 0) series.delivered.inc(sockets * events.length);
    const now = Date.now();
    const latencies = events.map((event) => Math.max(0, now - event.ts));
    for (const ms of latencies) series.latency.observe(ms / 1000);
    this.activity.delivered(ref.companyId, sockets, latencies);
  }

  /** One accepted handshake on `namespace` (refusals go to `handshakes` directly, by code). */
  handshakeAccepted(namespace: string): void {
    this.acceptedHandshakes.set(namespace, (this.acceptedHandshakes.get(namespace) ?? 0) + 1);
  }

  /** The data size of one event taken by the publish API (measured there already). */
  observePayload(namespace: string, bytes: number): void {
    this.seriesOf(namespace).payload.observe(bytes);
  }

  private readonly busOutcomes = {
    written: this.busPublishes.labels('written'),
    queued: this.busPublishes.labels('queued'),
    flushed: this.busPublishes.labels('flushed'),
    refused: this.busPublishes.labels('refused'),
  };

  observeBus(outcome: BusPublishOutcome, events: number): void {
    if (events > 0) this.busOutcomes[outcome].inc(events);
  }

  observePublished(ref: { namespace: string; companyId: string }): void {
    this.seriesOf(ref.namespace).published.inc();
    this.activity.published(ref.companyId);
  }

  /**
   * The hot path's series of one namespace, bound once: a labelled `inc`/`observe` hashes its
   * label object on every call, and these run once per publish and per delivered frame.
   */
  private seriesOf(namespace: string): NamespaceSeries {
    let series = this.namespaceSeries.get(namespace);
    if (!series) {
      const label = `/${namespace}`;
      series = {
        published: this.published.labels(label),
        payload: this.payloadBytes.labels(label),
        delivered: this.delivered.labels(label),
        latency: this.latency.labels(label),
      };
      this.namespaceSeries.set(namespace, series);
    }
    return series;
  }

  /** Live frames written by one room write, by path (see realtime/room-writer.ts). */
  observeFrames(written: { readonly direct: number; readonly engine: number }): void {
    if (written.direct > 0) this.framesDirect.inc(written.direct);
    if (written.engine > 0) this.framesEngine.inc(written.engine);
  }

  observePrintJob(companyId: string, status: string): void {
    this.printJobUpdates.inc({ status });
    this.activity.printJob(companyId, status);
  }
}

/** The TOP_COMPANIES largest counts by name, the rest under `_other` (bounded label cardinality). */
export function topCompanies(companies: Iterable<string>): [string, number][] {
  const counts = new Map<string, number>();
  for (const company of companies) counts.set(company, (counts.get(company) ?? 0) + 1);
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const top = sorted.slice(0, TOP_COMPANIES);
  const other = sorted.slice(TOP_COMPANIES).reduce((sum, [, count]) => sum + count, 0);
  return other > 0 ? [...top, [OTHER_COMPANIES, other]] : top;
}
