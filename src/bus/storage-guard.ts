import { Logger } from '@nestjs/common';
import { AppError, ErrorCode } from '../common/app.errors';
import type { MetricsService } from '../metrics/metrics.service';
import { ChannelLimitError, EngineRefusedError, EngineUnavailableError, type StorageRefusal } from './bus-engine';

/** How long a client is asked to wait after storage refused a write. */
const REFUSED_RETRY_AFTER_SECONDS = 5;

/** Since when storage answers but refuses writes, and why; cleared by the next successful write. */
export interface StorageRefusalState {
  readonly reason: StorageRefusal;
  readonly message: string;
  readonly since: number;
}

/**
 * What the bus's callers see of engine failures: the typed errors of the API (UNAVAILABLE with
 * Retry-After, and `details.storage` when storage refused; LIMIT_EXCEEDED for a company at its
 * channel bound), and the refusal state that readiness and metrics report.
 */
export class StorageGuard {
  private readonly logger = new Logger('EventBus');
  private current: StorageRefusalState | undefined;
  private lastLog = 0;

  constructor(
    private readonly metrics: MetricsService,
    /** Events waiting in the outage queue, for the log line. */
    private readonly queued: () => number,
  ) {
    metrics.provide({ storageWritable: () => (this.current ? 0 : 1) });
  }

  get refusal(): StorageRefusalState | undefined {
    return this.current;
  }

  /** A write went through: storage takes writes again. */
  wrote(): void {
    this.current = undefined;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw this.translate(error);
    }
  }

  /** Storage refused a write (also outside `run`: the outage queue's flusher reports here). */
  refused(error: EngineRefusedError): void {
    this.current ??= { reason: error.reason, message: error.message, since: Date.now() };
    this.metrics.storageRefusals.inc({ reason: error.reason });
    // Loud, but once per 10 s: a full Redis refuses every publish, and each would log otherwise.
    const now = Date.now();
    if (now - this.lastLog < 10_000) return;
    this.lastLog = now;
    const queued = this.queued();
    this.logger.error(
      `storage refuses writes (${error.reason}): ${error.message}; publishes are refused with 503 until it takes writes again` +
        (queued > 0 ? `; ${queued} queued events wait for it` : ''),
    );
  }

  private translate(error: unknown): unknown {
    if (error instanceof EngineUnavailableError) {
      return new AppError(ErrorCode.UNAVAILABLE, 'the event bus cannot reach its storage; retry shortly', undefined, 1);
    }
    if (error instanceof EngineRefusedError) {
      this.refused(error);
      return new AppError(
        ErrorCode.UNAVAILABLE,
        `the event bus's storage refuses writes (${error.reason}); retry later`,
        { storage: error.reason },
        REFUSED_RETRY_AFTER_SECONDS,
      );
    }
    if (error instanceof ChannelLimitError) {
      return new AppError(
        ErrorCode.LIMIT_EXCEEDED,
        `${error.message}; publish to existing channels, or raise MEMORY_CHANNELS_PER_COMPANY`,
        {
          limit: error.limit,
        },
      );
    }
    return error;
  }
}
