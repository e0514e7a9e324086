import type { PrintDocument, PrintJob } from './print-job.model';

export const PRINT_JOB_STORE = Symbol('PRINT_JOB_STORE');

export interface JobRef {
  readonly companyId: string;
  readonly jobId: string;
}

/**
 * Durable print jobs: in Redis, or in memory on the embedded engine. `update` is a
 * compare-and-set loop around a lifecycle function, atomic across instances.
 */
export interface PrintJobStore {
  /** Creates the job unless its jobId exists in the company; then returns the existing one. */
  create(job: PrintJob, document: PrintDocument, keepSeconds: number): Promise<{ created: boolean; job: PrintJob }>;
  get(ref: JobRef): Promise<PrintJob | undefined>;
  /**
   * The document, while the job may still be dispatched, and for PRINT_DOCUMENT_RETENTION_SECONDS
   * after it leaves the queue (acknowledged or ended), so that an admin can resend it.
   */
  document(ref: JobRef): Promise<PrintDocument | undefined>;
  /** Queued and dispatched jobs of a branch, in queue (creation) order. */
  pending(companyId: string, branchId: string): Promise<PrintJob[]>;
  /** Applies `change` atomically; undefined when the job is missing or `change` declined. */
  update(ref: JobRef, change: (job: PrintJob) => PrintJob | undefined): Promise<PrintJob | undefined>;
  /** Pending jobs whose ttl has passed. */
  expiring(now: number, limit: number): Promise<JobRef[]>;
  /** Moves jobs stored by an earlier version's key layout into this one (at start); how many. */
  migrate?(): Promise<number>;
}
