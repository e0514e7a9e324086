import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Principal } from '../common/principal';
import { tenantOf } from '../auth/tenant';
import { AppError, ErrorCode } from '../common/app.errors';
import { APP_CONFIG, type AppConfig } from '../config';
import { NotReplicatedError } from '../redis/replica-ack';
import type { CreatePrintJobDto } from './dto/create-print-job.dto';
import type { JobStatusDto } from './dto/job-status.dto';
import { cancel, expire, finish, markResent, queued, resendId, type JobFields } from './print-job.lifecycle';
import { PENDING, type PrintDocument, type PrintJob } from './print-job.model';
import { PRINT_JOB_STORE, type JobRef, type PrintJobStore } from './print-job.store';
import { PrintDispatcher } from './print-dispatcher.service';
import { PrintingNotifier } from './printing-notifier.service';

const DEFAULT_TTL_SECONDS = 86400;
const EXPIRY_SCAN_MS = 1000;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Creating, reading, cancelling and resending jobs (HTTP and admin), agents' outcome reports, and expiry. */
@Injectable()
export class PrintJobsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('PrintJobs');
  private expirer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(PRINT_JOB_STORE) private readonly store: PrintJobStore,
    private readonly dispatcher: PrintDispatcher,
    private readonly notifier: PrintingNotifier,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.expirer = setInterval(() => void this.expireDue(), EXPIRY_SCAN_MS);
    this.expirer.unref();
    void this.store.migrate?.().then(
      (moved) => {
        if (moved > 0) this.logger.warn(`moved ${moved} print jobs from the single-slot key layout to per-company slots`);
      },
      (error: Error) => this.logger.error(`print jobs of the earlier key layout not moved yet: ${error.message}`),
    );
  }

  onApplicationShutdown(): void {
    clearInterval(this.expirer);
  }

  /** Queues a job, or returns the existing one with the same jobId (nothing new is created). */
  async create(principal: Principal, request: CreatePrintJobDto): Promise<{ created: boolean; job: PrintJob }> {
    const companyId = tenantOf(principal, request.companyId);
    const document: PrintDocument = { contentType: request.document.contentType, data: request.document.data };
    this.checkDocument(document);
    return this.enqueue(
      {
        jobId: request.jobId,
        companyId,
        branchId: request.branchId,
        requestedPrinterId: request.printerId ?? null,
        copies: request.copies ?? 1,
        orderId: request.orderId === undefined ? null : String(request.orderId),
        correlationId: request.correlationId ?? null,
        resentFrom: null,
      },
      document,
      request.ttlSeconds ?? DEFAULT_TTL_SECONDS,
    );
  }

  /**
   * Prints a job again, as a new job `<jobId>.r<n>` (or `copyId`) with the same document, branch,
   * printer and copies, and the same time to live from now. Only a job out of the queue: a queued
   * one is still going to print. Asking again with the same `copyId` answers the copy already made.
   */
  async resend(
    principal: Principal,
    jobId: string,
    options: { companyId?: string; copyId?: string } = {},
  ): Promise<{ created: boolean; job: PrintJob }> {
    const ref = { companyId: tenantOf(principal, options.companyId), jobId };
    const original = (await this.guard(() => this.store.get(ref))) ?? notFound(jobId);
    if (PENDING.includes(original.status)) {
      throw new AppError(ErrorCode.PRINT_JOB_CONFLICT, `job ${jobId} is ${original.status}: it will print, so it is not resent`, {
        status: original.status,
      });
    }
    const copyId = options.copyId ?? resendId(original);
    const known = await this.guard(() => this.store.get({ companyId: ref.companyId, jobId: copyId }));
    if (known) return { created: false, job: this.copyOf(known, jobId) };
    const document = await this.guard(() => this.store.document(ref));
    if (!document) {
      const keep = this.config.printing.documentRetentionSeconds;
      throw new AppError(
        ErrorCode.PRINT_DOCUMENT_GONE,
        `the document of job ${jobId} is no longer kept (${keep} s after it left the queue)`,
        {
          documentRetentionSeconds: keep,
        },
      );
    }
    // Noted on the original first: its history tells GET and the dashboard where the reprint went.
    await this.guard(() => this.store.update(ref, (job) => markResent(job, Date.now(), copyId)));
    const ttlSeconds = Math.max(1, Math.round((original.expiresAt - original.createdAt) / 1000));
    const { companyId, branchId, requestedPrinterId, copies, orderId, correlationId } = original;
    const copy = { jobId: copyId, companyId, branchId, requestedPrinterId, copies, orderId, correlationId, resentFrom: jobId };
    const result = await this.enqueue(copy, document, ttlSeconds);
    return { created: result.created, job: this.copyOf(result.job, jobId) };
  }

  /** A job found under a resend's id must be a copy of that very job, not another job that took the id. */
  private copyOf(job: PrintJob, originalId: string): PrintJob {
    if (job.resentFrom === originalId) return job;
    throw new AppError(ErrorCode.PRINT_JOB_CONFLICT, `jobId ${job.jobId} is taken by a job that is not a resend of ${originalId}`, {
      status: job.status,
    });
  }

  private async enqueue(fields: JobFields, document: PrintDocument, ttlSeconds: number): Promise<{ created: boolean; job: PrintJob }> {
    const job = queued(fields, Date.now(), ttlSeconds);
    const result = await this.guard(() => this.store.create(job, document, ttlSeconds + this.config.printing.retentionSeconds));
    if (result.created) {
      await this.notifier.jobChanged(job);
      this.dispatcher.kick(job.companyId, job.branchId);
      await this.notifier.signal({ type: 'queued', companyId: job.companyId, branchId: job.branchId });
    }
    return result;
  }

  async get(principal: Principal, jobId: string, companyId?: string): Promise<PrintJob> {
    const ref = { companyId: tenantOf(principal, companyId), jobId };
    return (await this.guard(() => this.store.get(ref))) ?? notFound(jobId);
  }

  /** Cancels a job that no agent has acknowledged yet; an agent holding it is told to drop it. */
  async cancel(principal: Principal, jobId: string, companyId?: string): Promise<PrintJob> {
    const ref = { companyId: tenantOf(principal, companyId), jobId };
    const cancelled = await this.guard(() => this.store.update(ref, (job) => cancel(job, Date.now())));
    if (!cancelled) {
      const current = (await this.guard(() => this.store.get(ref))) ?? notFound(jobId);
      throw new AppError(ErrorCode.PRINT_JOB_CONFLICT, `job ${jobId} is ${current.status} and can no longer be cancelled`, {
        status: current.status,
      });
    }
    await this.notifier.jobChanged(cancelled);
    await this.notifier.signal({
      type: 'cancelled',
      companyId: ref.companyId,
      branchId: cancelled.branchId,
      payload: { jobId, reason: 'cancelled' },
    });
    return cancelled;
  }

  /** An agent's printed/failed report. Repeating the same report is fine; a different one after the end is a conflict. */
  async report(agent: { companyId: string; branchId: string }, request: JobStatusDto): Promise<PrintJob> {
    const ref: JobRef = { companyId: agent.companyId, jobId: request.jobId };
    const current = await this.guard(() => this.store.get(ref));
    // Another branch's job is reported as missing: agents never learn about other branches.
    if (!current || current.branchId !== agent.branchId) return notFound(request.jobId);
    if (current.status === request.status) return current;
    const finished = await this.guard(() => this.store.update(ref, (job) => finish(job, Date.now(), request.status, request.error)));
    if (!finished) {
      const latest = (await this.guard(() => this.store.get(ref))) ?? current;
      if (latest.status === request.status) return latest;
      throw new AppError(ErrorCode.PRINT_JOB_CONFLICT, `job ${request.jobId} already ended as ${latest.status}`, {
        status: latest.status,
      });
    }
    await this.notifier.jobChanged(finished);
    return finished;
  }

  private async expireDue(): Promise<void> {
    try {
      const now = Date.now();
      for (const ref of await this.store.expiring(now, 100)) {
        const expired = await this.store.update(ref, (job) => expire(job, now));
        if (!expired) continue;
        await this.notifier.jobChanged(expired);
        await this.notifier.signal({
          type: 'cancelled',
          companyId: ref.companyId,
          branchId: expired.branchId,
          payload: { jobId: ref.jobId, reason: 'expired' },
        });
      }
    } catch (error) {
      this.logger.warn(`expiry scan: ${(error as Error).message}`);
    }
  }

  private checkDocument(document: PrintDocument): void {
    const binary = document.contentType !== 'text/plain';
    if (binary && !BASE64.test(document.data)) {
      const message = 'document.data must be base64 for binary content types';
      throw new AppError(ErrorCode.VALIDATION_FAILED, message, [{ path: 'document.data', errors: [message] }]);
    }
    const size = binary ? Buffer.from(document.data, 'base64').length : Buffer.byteLength(document.data);
    const limit = this.config.printing.maxDocumentBytes;
    if (size > limit) {
      throw new AppError(ErrorCode.PAYLOAD_TOO_LARGE, `document is ${size} bytes decoded; the limit is ${limit}`, {
        path: 'document.data',
        size,
        limit,
      });
    }
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof AppError) throw error;
      this.logger.warn(`print job store: ${(error as Error).message}`);
      if (error instanceof NotReplicatedError) {
        // Stored on the master, not yet safe from a failover: the retry (same jobId) waits again.
        throw new AppError(ErrorCode.UNAVAILABLE, 'the print job is not on a Redis replica yet; retry with the same jobId', undefined, 1);
      }
      throw new AppError(ErrorCode.UNAVAILABLE, 'print job storage is unreachable; retry shortly', undefined, 1);
    }
  }
}

function notFound(jobId: string): never {
  throw new AppError(ErrorCode.PRINT_JOB_NOT_FOUND, `no print job ${jobId}`);
}
