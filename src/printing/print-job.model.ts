export const JOB_STATUSES = ['queued', 'dispatched', 'acknowledged', 'printed', 'failed', 'cancelled', 'expired'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Jobs that may still be sent to an agent. */
export const PENDING: readonly JobStatus[] = ['queued', 'dispatched'];
/** Jobs that will never change again. */
export const FINAL: readonly JobStatus[] = ['printed', 'failed', 'cancelled', 'expired'];

export const CONTENT_TYPES = ['application/vnd.escpos', 'application/pdf', 'text/plain'] as const;
export type ContentType = (typeof CONTENT_TYPES)[number];

/** `data` is base64 for the binary types, plain text for text/plain. */
export interface PrintDocument {
  readonly contentType: ContentType;
  readonly data: string;
}

export interface HistoryEntry {
  readonly status: JobStatus;
  readonly at: number;
  readonly detail?: string;
}

/** Who holds a dispatched job, and until when; another instance may only take it after `until`. */
export interface Lease {
  readonly instance: string;
  readonly agentId: string;
  readonly attempt: number;
  readonly until: number;
}

export interface PrintJob {
  readonly jobId: string;
  readonly companyId: string;
  readonly branchId: string;
  /** The printer the publisher asked for, if any: only the agent that registered it gets the job. */
  readonly requestedPrinterId: string | null;
  /** The printer of the latest dispatch. */
  readonly printerId: string | null;
  readonly copies: number;
  readonly orderId: string | null;
  readonly correlationId: string | null;
  readonly status: JobStatus;
  readonly attempts: number;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** Not dispatched again before this (retry backoff). */
  readonly nextAttemptAt: number;
  readonly lease: Lease | null;
  readonly history: readonly HistoryEntry[];
  /** The job this one reprints (a resend); absent on jobs stored before resends existed. */
  readonly resentFrom?: string | null;
  /** How many times this job was resent: numbers the next copy's id. */
  readonly resends?: number;
}

/** GET /v1/print-jobs/:jobId */
export interface PrintJobView {
  readonly jobId: string;
  readonly status: JobStatus;
  readonly attempts: number;
  readonly printerId: string | null;
  readonly branchId: string;
  readonly orderId: string | null;
  readonly correlationId: string | null;
  readonly copies: number;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly history: readonly HistoryEntry[];
  /** Set on a resend: the jobId it reprints. */
  readonly resentFrom: string | null;
}

export function viewOf(job: PrintJob): PrintJobView {
  return {
    jobId: job.jobId,
    status: job.status,
    attempts: job.attempts,
    printerId: job.printerId ?? job.requestedPrinterId,
    branchId: job.branchId,
    orderId: job.orderId,
    correlationId: job.correlationId,
    copies: job.copies,
    createdAt: job.createdAt,
    expiresAt: job.expiresAt,
    history: job.history,
    resentFrom: job.resentFrom ?? null,
  };
}
