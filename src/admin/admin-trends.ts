import { percentile } from '../metrics/company-activity';

/** One point every 10 s, 90 of them: the last 15 minutes. */
export const TREND_BUCKET_MS = 10_000;
export const TREND_POINTS = 90;
/** Latencies kept per company per bucket (a uniform sample of all of them, for the p99). */
const BUCKET_LATENCIES = 2048;

/** One company's cluster-wide numbers over one bucket. */
export interface TrendPoint {
  /** End of the bucket (epoch ms). */
  readonly at: number;
  readonly publishedPerSecond: number;
  readonly deliveredPerSecond: number;
  /** Publish-to-deliver p99 over the bucket (ms); null when nothing was delivered. */
  readonly p99Ms: number | null;
  /** Live connections by namespace when the bucket closed, summed over the nodes. */
  readonly connections: Readonly<Record<string, number>>;
  /** Printing agents online when the bucket closed. */
  readonly agentsOnline: number;
}

/** What is known of a company at the moment a bucket closes. */
export interface CompanyNow {
  readonly connections: Readonly<Record<string, number>>;
  readonly agentsOnline: number;
}

interface Bucket {
  published: number;
  delivered: number;
  latencies: number[];
  /** Latencies offered, for the reservoir. */
  seen: number;
}

const isQuiet = (point: TrendPoint) =>
  point.publishedPerSecond === 0 &&
  point.deliveredPerSecond === 0 &&
  point.agentsOnline === 0 &&
  Object.values(point.connections).every((count) => count === 0);

/**
 * The admin dashboard's last 15 minutes, per company: every node's one-second report is added
 * once, as it arrives (its own, and its peers' through the adapter), and every 10 s the bucket
 * closes into one point per company. Every node hears every report, so each keeps the same
 * cluster-wide series; a node that just started has only the points since it started.
 */
export class TrendHistory {
  private readonly series = new Map<string, TrendPoint[]>();
  private bucket = new Map<string, Bucket>();
  private bucketStart: number;
  private closed = 0;

  constructor(
    now = Date.now(),
    private readonly bucketMs = TREND_BUCKET_MS,
    private readonly maxPoints = TREND_POINTS,
  ) {
    this.bucketStart = now;
  }

  /** Bumped whenever a bucket closes: the gateway sends the series again when it changed. */
  get version(): number {
    return this.closed;
  }

  /** One node's one-second report for one company. */
  add(companyId: string, report: { published: number; delivered: number; latencies: readonly number[] }): void {
    let bucket = this.bucket.get(companyId);
    if (!bucket) this.bucket.set(companyId, (bucket = { published: 0, delivered: 0, latencies: [], seen: 0 }));
    bucket.published += report.published;
    bucket.delivered += report.delivered;
    for (const ms of report.latencies) {
      bucket.seen += 1;
      if (bucket.latencies.length < BUCKET_LATENCIES) bucket.latencies.push(ms);
      else {
        const slot = Math.floor(Math.random() * bucket.seen);
        if (slot < BUCKET_LATENCIES) bucket.latencies[slot] = ms;
      }
    }
  }

  /** Whether the current bucket is over. */
  due(now: number): boolean {
    return now - this.bucketStart >= this.bucketMs;
  }

  /**
   * Closes the bucket into one point per company that reported, already has a series, or is
   * named in `present` (connections or agents without traffic). A series that has been quiet
   * for its whole length is dropped.
   */
  close(now: number, present: ReadonlyMap<string, CompanyNow>): void {
    const seconds = Math.max(1, (now - this.bucketStart) / 1000);
    const companies = new Set([...this.bucket.keys(), ...this.series.keys(), ...present.keys()]);
    for (const companyId of companies) {
      const bucket = this.bucket.get(companyId);
      const current = present.get(companyId);
      const point: TrendPoint = {
        at: now,
        publishedPerSecond: round((bucket?.published ?? 0) / seconds),
        deliveredPerSecond: round((bucket?.delivered ?? 0) / seconds),
        p99Ms: percentile(bucket?.latencies ?? [], 99) ?? null,
        connections: current?.connections ?? {},
        agentsOnline: current?.agentsOnline ?? 0,
      };
      const series = this.series.get(companyId) ?? [];
      series.push(point);
      if (series.length > this.maxPoints) series.splice(0, series.length - this.maxPoints);
      if (series.every(isQuiet)) this.series.delete(companyId);
      else this.series.set(companyId, series);
    }
    this.bucket = new Map();
    this.bucketStart = now;
    this.closed += 1;
  }

  /** A company's points, oldest first. */
  of(companyId: string): readonly TrendPoint[] {
    return this.series.get(companyId) ?? [];
  }
}

const round = (value: number) => Math.round(value * 10) / 10;
