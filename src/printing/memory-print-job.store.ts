import { PENDING, type PrintDocument, type PrintJob } from './print-job.model';
import type { JobRef, PrintJobStore } from './print-job.store';

interface Entry {
  job: PrintJob;
  document: PrintDocument | undefined;
  /** When the document goes: never while the job is pending, then PRINT_DOCUMENT_RETENTION_SECONDS later. */
  documentUntil: number;
  order: number;
  removeAt: number;
}

/** Print jobs in one process's memory; a single event loop makes every update atomic. */
export class MemoryPrintJobStore implements PrintJobStore {
  private readonly entries = new Map<string, Entry>();
  private order = 0;
  private prunedAt = 0;

  constructor(
    private readonly now: () => number = Date.now,
    /** PRINT_DOCUMENT_RETENTION_SECONDS: a document outlives its job's time in the queue by this much. */
    private readonly documentRetentionSeconds = 0,
  ) {}

  create(job: PrintJob, document: PrintDocument, keepSeconds: number): Promise<{ created: boolean; job: PrintJob }> {
    this.prune();
    const existing = this.entries.get(key(job));
    if (existing) return Promise.resolve({ created: false, job: existing.job });
    this.entries.set(key(job), {
      job,
      document,
      documentUntil: Number.POSITIVE_INFINITY,
      order: ++this.order,
      removeAt: this.now() + keepSeconds * 1000,
    });
    return Promise.resolve({ created: true, job });
  }

  get(ref: JobRef): Promise<PrintJob | undefined> {
    return Promise.resolve(this.entries.get(key(ref))?.job);
  }

  document(ref: JobRef): Promise<PrintDocument | undefined> {
    const entry = this.entries.get(key(ref));
    return Promise.resolve(entry && entry.documentUntil > this.now() ? entry.document : undefined);
  }

  pending(companyId: string, branchId: string): Promise<PrintJob[]> {
    const jobs = [...this.entries.values()]
      .filter(({ job }) => job.companyId === companyId && job.branchId === branchId && PENDING.includes(job.status))
      .sort((a, b) => a.order - b.order)
      .map(({ job }) => job);
    return Promise.resolve(jobs);
  }

  update(ref: JobRef, change: (job: PrintJob) => PrintJob | undefined): Promise<PrintJob | undefined> {
    const entry = this.entries.get(key(ref));
    const next = entry && change(entry.job);
    if (!entry || !next) return Promise.resolve(undefined);
    const leaving = PENDING.includes(entry.job.status) && !PENDING.includes(next.status);
    entry.job = next;
    if (leaving) {
      entry.documentUntil = this.now() + this.documentRetentionSeconds * 1000;
      if (this.documentRetentionSeconds === 0) entry.document = undefined;
    }
    return Promise.resolve(next);
  }

  expiring(now: number, limit: number): Promise<JobRef[]> {
    const due = [...this.entries.values()]
      .filter(({ job }) => PENDING.includes(job.status) && job.expiresAt <= now)
      .slice(0, limit)
      .map(({ job }) => ({ companyId: job.companyId, jobId: job.jobId }));
    return Promise.resolve(due);
  }

  /** Finished jobs are kept for GET and jobId deduplication, then dropped, and old documents before them (checked at most once a minute). */
  private prune(): void {
    const now = this.now();
    if (now - this.prunedAt < 60_000) return;
    this.prunedAt = now;
    for (const [id, entry] of this.entries) {
      if (entry.removeAt <= now) this.entries.delete(id);
      else if (entry.documentUntil <= now) entry.document = undefined;
    }
  }
}

function key(ref: JobRef): string {
  return `${ref.companyId}/${ref.jobId}`;
}
