import { ClientErrorCode, SwitchboardError } from './errors.js';
import { isFinished, JobJournal, type JournalEntry, type JournalOptions } from './job-journal.js';
import type { NamespaceHandle } from './namespace-handle.js';
import { scopedKey, type KeyValueStorage } from './storage.js';
import type {
  Printer,
  PrinterStatus,
  PrintJobAnswer,
  PrintJobCancelledPayload,
  PrintJobPayload,
  RegisterAck,
  SessionPayload,
} from './types.js';

export interface PrintAgentOptions extends JournalOptions {
  /** The agent's id on the server (printers:register `agentId`). Default: the token's `sub`. */
  readonly agentId?: string;
  /** Jobs printed at the same time. Default 1: tickets come out in the order they were sent. */
  readonly concurrency?: number;
  /**
   * What to do with a job found `printing` at startup (the agent died mid-print, so the ticket may
   * or may not be out). Default false: report it `failed` ("interrupted"), so that staff see it
   * and reprint by hand, rather than risk a double ticket. true: print it again.
   */
  readonly reprintInterrupted?: boolean;
}

export interface JobContext {
  /** 1 for the first dispatch; more means the server sent it again after an unacknowledged attempt. */
  readonly attempt: number;
}

export type JobHandler = (job: PrintJobPayload, context: JobContext) => void | Promise<void>;

/** Codes after which a status report is settled: the server will never take it. */
const FINAL_REPORT_ERRORS = new Set(['PRINT_JOB_CONFLICT', 'PRINT_JOB_NOT_FOUND', 'VALIDATION_FAILED', 'FORBIDDEN']);
const REPORT_RETRY_MS = 5_000;
const MAX_ERROR_LENGTH = 1_000;

function isJob(job: unknown): job is PrintJobPayload {
  const candidate = job as Partial<PrintJobPayload> | null;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.jobId === 'string' && candidate.jobId.length > 0;
}

/**
 * The /printing-ws side of a desktop printing agent, written once: registers its printers on
 * every connection, journals each job before acknowledging it (so "accepted" means "safe on this
 * machine"), prints jobs one at a time in order through the application's handler, reports each
 * outcome until the server has it, and never prints a jobId twice, across reconnects and restarts.
 */
export class PrintAgent {
  private journal: JobJournal | undefined;
  private journalReady: Promise<JobJournal> | undefined;
  private printers: Printer[] | undefined;
  private handler: JobHandler | undefined;
  private readonly queue: string[] = [];
  private readonly accepting = new Map<string, Promise<boolean>>();
  private readonly reporting = new Set<string>();
  private readonly cancelledListeners = new Set<(payload: PrintJobCancelledPayload) => void>();
  private readonly cleanups: (() => void)[] = [];
  private reportTimer: ReturnType<typeof setTimeout> | undefined;
  /** registerPrinters() calls made before a session: answered by that session's registration. */
  private readonly registrationWaiters: { resolve(ack: RegisterAck): void; reject(error: unknown): void }[] = [];
  private running = 0;
  private closed = false;

  constructor(
    private readonly handle: NamespaceHandle<'printing-ws'>,
    private readonly storage: KeyValueStorage,
    private readonly storageBase: readonly string[],
    private readonly options: PrintAgentOptions,
    private readonly report: (error: SwitchboardError) => void,
  ) {
    const socket = handle.rawSocket;
    const onJob = (job: unknown, ack?: (answer: PrintJobAnswer) => void) => void this.receive(job, ack);
    const onCancelled = (payload: PrintJobCancelledPayload) => void this.cancel(payload);
    socket.on('print:job', onJob);
    socket.on('print:job-cancelled', onCancelled);
    this.cleanups.push(
      () => socket.off('print:job', onJob),
      () => socket.off('print:job-cancelled', onCancelled),
    );
    this.cleanups.push(handle.on('session', (session) => void this.onSession(session)));
    this.cleanups.push(
      handle.onState((change) => {
        if (change.state === 'failed' || change.state === 'closed') this.rejectRegistrations(change.error);
      }),
    );
    if (handle.session) void this.onSession(handle.session);
  }

  /** Registers these printers now (or on the coming connection) and again on every reconnection; resolves with the first ack. */
  async registerPrinters(printers: readonly Printer[]): Promise<RegisterAck> {
    this.printers = printers.map((printer) => ({ ...printer }));
    // Not connected yet: the session's own registration carries them (one register, one batch of pending jobs).
    if (!this.handle.session) return new Promise((resolve, reject) => this.registrationWaiters.push({ resolve, reject }));
    return this.handle.request('printers:register', this.registration());
  }

  /** Changes one printer's status (remembered for later registrations too). */
  async setPrinterStatus(printerId: string, status: PrinterStatus): Promise<void> {
    this.printers = this.printers?.map((printer) => (printer.id === printerId ? { ...printer, status } : printer));
    await this.handle.request('printers:status', { printerId, status });
  }

  /** Sets the function that prints a job: resolve when printed, throw when it failed. Jobs wait for it. */
  onJob(handler: JobHandler): void {
    this.handler = handler;
    this.pump();
  }

  /** A job was cancelled or expired on the server before it was acknowledged. */
  onCancelled(listener: (payload: PrintJobCancelledPayload) => void): () => void {
    this.cancelledListeners.add(listener);
    return () => this.cancelledListeners.delete(listener);
  }

  /** The journal, oldest first: what this agent accepted, printed, failed or still has to report. */
  jobs(): JournalEntry[] {
    return this.journal?.list() ?? [];
  }

  close(): void {
    this.closed = true;
    if (this.reportTimer !== undefined) clearTimeout(this.reportTimer);
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.rejectRegistrations();
  }

  private rejectRegistrations(cause?: SwitchboardError): void {
    const error = cause ?? new SwitchboardError(ClientErrorCode.CLOSED, 'the print agent was closed');
    for (const waiter of this.registrationWaiters.splice(0)) waiter.reject(error);
  }

  private registration(): { agentId?: string; printers: Printer[] } {
    const printers = this.printers ?? [];
    return this.options.agentId === undefined ? { printers } : { agentId: this.options.agentId, printers };
  }

  private async onSession(session: SessionPayload): Promise<void> {
    const journal = await this.open(session);
    if (this.printers !== undefined) {
      const waiters = this.registrationWaiters.splice(0);
      await this.handle.request('printers:register', this.registration()).then(
        (ack) => waiters.forEach((waiter) => waiter.resolve(ack)),
        (error: SwitchboardError) => {
          this.report(error);
          waiters.forEach((waiter) => waiter.reject(error));
        },
      );
    }
    for (const entry of journal.list()) if (isFinished(entry) && !entry.reported) void this.sendReport(entry.jobId);
  }

  /** Opens the journal of this agent (first session): unfinished jobs go back in the queue. */
  private open(session: SessionPayload): Promise<JobJournal> {
    this.journalReady ??= (async () => {
      const scope = scopedKey(...this.storageBase, session.user.companyId, this.options.agentId ?? session.user.id, 'print-agent');
      const journal = new JobJournal(this.storage, scope, this.options);
      await journal.load();
      for (const entry of journal.list()) {
        if (entry.state === 'printing' && !this.options.reprintInterrupted) {
          await journal.put({
            ...entry,
            state: 'failed',
            job: undefined,
            error: 'interrupted: the agent stopped while printing this job, so it may not have printed',
            updatedAt: Date.now(),
          });
        } else if (entry.state === 'printing' || entry.state === 'queued') {
          if (entry.state === 'printing') await journal.put({ ...entry, state: 'queued', updatedAt: Date.now() });
          this.queue.push(entry.jobId);
        }
      }
      this.journal = journal;
      this.pump();
      return journal;
    })();
    return this.journalReady;
  }

  private async receive(job: unknown, ack?: (answer: PrintJobAnswer) => void): Promise<void> {
    const answer = (value: PrintJobAnswer) => {
      try {
        ack?.(value);
      } catch {
        // The connection went away; the server sends the job again.
      }
    };
    if (!isJob(job)) return answer({ accepted: false, reason: 'malformed print:job' });
    const session = this.handle.session;
    const journal = this.journal ?? (session ? await this.open(session) : undefined);
    if (!journal) return answer({ accepted: false, reason: 'agent not ready' });
    const known = journal.get(job.jobId);
    if (known) {
      // Seen before: its ack was lost. Accept again, never print again.
      answer({ accepted: true });
      if (isFinished(known) && !known.reported) void this.sendReport(known.jobId);
      return;
    }
    let stored = this.accepting.get(job.jobId);
    if (!stored) {
      stored = journal
        .put({
          jobId: job.jobId,
          state: 'queued',
          reported: false,
          attempt: job.attempt,
          receivedAt: Date.now(),
          updatedAt: Date.now(),
          job,
        })
        .then(
          () => {
            this.queue.push(job.jobId);
            this.pump();
            return true;
          },
          (error: unknown) => {
            this.report(new SwitchboardError(ClientErrorCode.STORAGE_FAILED, `journaling job ${job.jobId}: ${String(error)}`));
            return false;
          },
        )
        .finally(() => this.accepting.delete(job.jobId));
      this.accepting.set(job.jobId, stored);
    }
    answer((await stored) ? { accepted: true } : { accepted: false, reason: 'the agent could not store the job' });
  }

  private pump(): void {
    const concurrency = Math.max(1, this.options.concurrency ?? 1);
    while (!this.closed && this.handler && this.journal && this.running < concurrency && this.queue.length > 0) {
      const jobId = this.queue.shift() as string;
      this.running += 1;
      void this.print(this.journal, jobId).finally(() => {
        this.running -= 1;
        this.pump();
      });
    }
  }

  private async print(journal: JobJournal, jobId: string): Promise<void> {
    const entry = journal.get(jobId);
    const handler = this.handler;
    if (!entry || entry.state !== 'queued' || !entry.job || !handler) return;
    try {
      await journal.put({ ...entry, state: 'printing', updatedAt: Date.now() });
    } catch (error) {
      this.report(new SwitchboardError(ClientErrorCode.STORAGE_FAILED, `journaling job ${jobId}: ${String(error)}`));
      this.queue.unshift(jobId);
      return;
    }
    let outcome: Pick<JournalEntry, 'state' | 'error'>;
    try {
      await handler(entry.job, { attempt: entry.attempt });
      outcome = { state: 'printed' };
    } catch (error) {
      outcome = { state: 'failed', error: String((error as Error)?.message ?? error).slice(0, MAX_ERROR_LENGTH) || 'failed' };
    }
    await journal
      .put({ ...entry, ...outcome, job: undefined, updatedAt: Date.now() })
      .catch((error: unknown) =>
        this.report(new SwitchboardError(ClientErrorCode.STORAGE_FAILED, `journaling job ${jobId}: ${String(error)}`)),
      );
    await this.sendReport(jobId);
  }

  /** Reports a finished job's outcome; on a transient failure it is sent again later or on the next connection. */
  private async sendReport(jobId: string): Promise<void> {
    const journal = this.journal;
    const entry = journal?.get(jobId);
    if (!journal || !entry || entry.reported || (entry.state !== 'printed' && entry.state !== 'failed') || this.reporting.has(jobId))
      return;
    this.reporting.add(jobId);
    try {
      await this.handle.request('print:job-status', {
        jobId,
        status: entry.state,
        ...(entry.state === 'failed' && entry.error ? { error: entry.error } : {}),
      });
      await journal.put({ ...entry, reported: true, updatedAt: Date.now() });
    } catch (error) {
      const failure = error instanceof SwitchboardError ? error : new SwitchboardError(ClientErrorCode.STORAGE_FAILED, String(error));
      if (FINAL_REPORT_ERRORS.has(failure.code)) {
        this.report(failure);
        await journal.put({ ...entry, reported: true, updatedAt: Date.now() }).catch(() => undefined);
      } else {
        this.retryReports();
      }
    } finally {
      this.reporting.delete(jobId);
    }
  }

  private retryReports(): void {
    if (this.closed || this.reportTimer !== undefined) return;
    this.reportTimer = setTimeout(() => {
      this.reportTimer = undefined;
      for (const entry of this.journal?.list() ?? []) if (isFinished(entry) && !entry.reported) void this.sendReport(entry.jobId);
    }, REPORT_RETRY_MS);
  }

  private async cancel(payload: PrintJobCancelledPayload): Promise<void> {
    const entry = this.journal?.get(payload?.jobId);
    if (this.journal && entry?.state === 'queued') {
      const index = this.queue.indexOf(entry.jobId);
      if (index >= 0) this.queue.splice(index, 1);
      await this.journal
        .put({ ...entry, state: 'cancelled', reported: true, job: undefined, updatedAt: Date.now() })
        .catch((error: unknown) => this.report(new SwitchboardError(ClientErrorCode.STORAGE_FAILED, String(error))));
    }
    for (const listener of [...this.cancelledListeners]) listener(payload);
  }
}
