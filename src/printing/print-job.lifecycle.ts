import { MAX_KEY_LENGTH } from '../common/ids';
import { FINAL, PENDING, type JobStatus, type Lease, type PrintJob } from './print-job.model';

/**
 * The print-job state machine, as pure functions shared by both stores. Each returns the next
 * job, or undefined when the transition does not apply to the job's current state (the store
 * then writes nothing). Stores apply them with compare-and-set, so two instances racing on one
 * job can never both succeed: a job is claimed by one agent, acknowledged once, finished once.
 */

function step(job: PrintJob, status: JobStatus, at: number, detail?: string, patch: Partial<PrintJob> = {}): PrintJob {
  return { ...job, ...patch, status, history: [...job.history, detail === undefined ? { status, at } : { status, at, detail }] };
}

/** What a new job is made of: the rest is the lifecycle's. */
export type JobFields = Pick<
  PrintJob,
  'jobId' | 'companyId' | 'branchId' | 'requestedPrinterId' | 'copies' | 'orderId' | 'correlationId' | 'resentFrom'
>;

/** A new job, queued at `now` and due at once, expiring `ttlSeconds` later. */
export function queued(fields: JobFields, now: number, ttlSeconds: number): PrintJob {
  const detail = fields.resentFrom ? { detail: `resend of ${fields.resentFrom}` } : {};
  // Field by field: a caller's object with more in it (a whole job) must not carry it over.
  return {
    jobId: fields.jobId,
    companyId: fields.companyId,
    branchId: fields.branchId,
    requestedPrinterId: fields.requestedPrinterId,
    copies: fields.copies,
    orderId: fields.orderId,
    correlationId: fields.correlationId,
    resentFrom: fields.resentFrom,
    printerId: null,
    status: 'queued',
    attempts: 0,
    createdAt: now,
    expiresAt: now + ttlSeconds * 1000,
    nextAttemptAt: now,
    lease: null,
    history: [{ status: 'queued', at: now, ...detail }],
  };
}

/** Takes a pending job for one agent: only if due, unexpired and not held by a live lease. */
export function claim(job: PrintJob, now: number, lease: Omit<Lease, 'attempt'>, printerId: string | null): PrintJob | undefined {
  if (!PENDING.includes(job.status) || job.expiresAt <= now || job.nextAttemptAt > now) return undefined;
  if (job.lease && job.lease.until > now) return undefined;
  const attempt = job.attempts + 1;
  return step(job, 'dispatched', now, `attempt ${attempt} to agent ${lease.agentId}${printerId ? ` (printer ${printerId})` : ''}`, {
    attempts: attempt,
    lease: { ...lease, attempt },
    printerId,
  });
}

/** The agent accepted the job: from here on it is never dispatched again. */
export function acknowledge(job: PrintJob, now: number, lease: Pick<Lease, 'instance' | 'attempt'>): PrintJob | undefined {
  if (job.status !== 'dispatched' || job.lease?.instance !== lease.instance || job.lease.attempt !== lease.attempt) return undefined;
  return step(job, 'acknowledged', now, `by agent ${job.lease.agentId}`, { lease: null });
}

/** An attempt went unanswered (or was refused): back to the queue, not before `now + delayMs`. */
export function release(
  job: PrintJob,
  now: number,
  lease: Pick<Lease, 'instance' | 'attempt'>,
  delayMs: number,
  reason: string,
): PrintJob | undefined {
  if (job.status !== 'dispatched' || job.lease?.instance !== lease.instance || job.lease.attempt !== lease.attempt) return undefined;
  return step(job, 'queued', now, reason, { lease: null, nextAttemptAt: now + delayMs });
}

/**
 * The agent reports the outcome. A report for a job still queued or dispatched (its ack was lost)
 * counts as the acknowledgement too: the ticket exists, so it must not be sent again.
 */
export function finish(job: PrintJob, now: number, status: 'printed' | 'failed', detail?: string): PrintJob | undefined {
  if (FINAL.includes(job.status)) return undefined;
  const acknowledged = job.status === 'acknowledged' ? job : step(job, 'acknowledged', now, 'implied by a status report', { lease: null });
  return step(acknowledged, status, now, detail);
}

export function cancel(job: PrintJob, now: number): PrintJob | undefined {
  return PENDING.includes(job.status) ? step(job, 'cancelled', now, undefined, { lease: null }) : undefined;
}

export function expire(job: PrintJob, now: number): PrintJob | undefined {
  return PENDING.includes(job.status) && job.expiresAt <= now ? step(job, 'expired', now, undefined, { lease: null }) : undefined;
}

/**
 * Notes on a job that it was printed again as `copyId` (a resend). Only a job out of the queue:
 * a queued or dispatched one is still going to print, and a second ticket would double the order.
 */
export function markResent(job: PrintJob, now: number, copyId: string): PrintJob | undefined {
  if (PENDING.includes(job.status)) return undefined;
  return step(job, job.status, now, `resent as ${copyId}`, { resends: (job.resends ?? 0) + 1 });
}

/** The id of a job's next resend, `<jobId>.r<n>`; a long jobId is cut so the id stays within 128 characters. */
export function resendId(job: PrintJob): string {
  const suffix = `.r${(job.resends ?? 0) + 1}`;
  return job.jobId.slice(0, MAX_KEY_LENGTH - suffix.length) + suffix;
}

/** Retry delay after `attempt` went unanswered: base, 2×base, 4×base … capped. */
export function backoff(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempt - 1), maxMs);
}
