/** What one company did on this process since the last `take()` (the admin dashboard's feed). */
export interface CompanyActivityWindow {
  published: number;
  delivered: number;
  /** Publish-to-deliver latencies in ms, sampled (at most LATENCY_SAMPLES per window). */
  latencies: number[];
  /** Print job status changes by the status reached. */
  printJobs: Record<string, number>;
}

export const LATENCY_SAMPLES = 512;

/**
 * Per-company counters for the last window, cheap enough for the hot path: one map lookup per
 * publish or delivery. Read and reset once a second by the admin stats publisher.
 */
export class CompanyActivity {
  private windows = new Map<string, CompanyActivityWindow>();

  published(companyId: string, count = 1): void {
    this.window(companyId).published += count;
  }

  delivered(companyId: string, sockets: number, latenciesMs: readonly number[]): void {
    const window = this.window(companyId);
    window.delivered += sockets * latenciesMs.length;
    for (const ms of latenciesMs) {
      if (window.latencies.length < LATENCY_SAMPLES) window.latencies.push(ms);
      else window.latencies[Math.floor(Math.random() * LATENCY_SAMPLES)] = ms;
    }
  }

  printJob(companyId: string, status: string): void {
    const jobs = this.window(companyId).printJobs;
    jobs[status] = (jobs[status] ?? 0) + 1;
  }

  /** The windows since the last call, and a fresh start. */
  take(): Map<string, CompanyActivityWindow> {
    const taken = this.windows;
    this.windows = new Map();
    return taken;
  }

  private window(companyId: string): CompanyActivityWindow {
    let window = this.windows.get(companyId);
    if (!window) {
      window = { published: 0, delivered: 0, latencies: [], printJobs: {} };
      this.windows.set(companyId, window);
    }
    return window;
  }
}

/** The p-th percentile (0..100) of unsorted values, or undefined when there are none. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
