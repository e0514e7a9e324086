import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, type WebhooksConfig } from '../config';
import { MetricsService } from '../metrics/metrics.service';
import { retryDelayMs } from './webhook-backoff';
import type { ClaimedDelivery } from './webhook.model';
import { WEBHOOK_QUEUE, type WebhookQueue } from './webhook-queue';
import { WebhookSigner } from './webhook-signer';

/** A claim outlives the request timeout by this much before another process may resend. */
const LEASE_MARGIN_MS = 5000;
/** On shutdown, sends in flight get this long; the rest are resent by another process after their lease. */
const SHUTDOWN_WAIT_MS = 2000;
const USER_AGENT = 'Switchboard-Webhooks/1';

/**
 * Sends what the queue holds: every process claims due deliveries (at most WEBHOOK_CONCURRENCY
 * in flight), signs each attempt, POSTs it, and completes, reschedules with backoff, or
 * dead-letters it. Nothing here runs on the delivery path to sockets.
 */
@Injectable()
export class WebhookSender implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Webhooks');
  private readonly config: WebhooksConfig | undefined;
  private readonly signer: WebhookSigner | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private poller: NodeJS.Timeout | undefined;
  private pumping = false;
  private again = false;
  private closing = false;
  private queued = 0;
  private buffered: () => number = () => 0;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(WEBHOOK_QUEUE) private readonly queue: WebhookQueue,
    private readonly metrics: MetricsService,
  ) {
    this.config = config.webhooks;
    this.signer = this.config ? new WebhookSigner(this.config.secret) : undefined;
    if (this.config) metrics.provide({ webhooks: () => ({ queued: this.queued, buffered: this.buffered() }) });
  }

  /** The emitter's count of events waiting for the queue, for the metric. */
  onBuffered(count: () => number): void {
    this.buffered = count;
  }

  onApplicationBootstrap(): void {
    if (!this.config) return;
    // Retries fall due, and sends of processes that died come back after their lease: look each poll.
    this.poller = setInterval(() => {
      // The depth metric is refreshed once per poll, not on every kick (each send ends with one).
      this.queue.depth().then(
        (depth) => (this.queued = depth),
        () => undefined,
      );
      this.kick();
    }, this.config.pollMs);
    this.poller.unref();
    this.kick();
  }

  /** Looks for due deliveries now (coalesced: one look at a time, another right after if asked meanwhile). */
  kick(): void {
    if (!this.config || this.closing) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    void this.pump()
      .catch((error: Error) => this.logger.warn(`webhook queue unreachable: ${error.message}`))
      .finally(() => {
        this.pumping = false;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async pump(): Promise<void> {
    const config = this.config as WebhooksConfig;
    const free = config.concurrency - this.inFlight.size;
    if (free <= 0) return;
    const now = Date.now();
    const claimed = await this.queue.claim(now, now + config.timeoutMs + LEASE_MARGIN_MS, free);
    for (const delivery of claimed) {
      const sending: Promise<void> = this.send(delivery, config).finally(() => {
        this.inFlight.delete(sending);
        // A slot is free: take the next due delivery now rather than at the next poll.
        this.kick();
      });
      this.inFlight.add(sending);
    }
  }

  private async send(delivery: ClaimedDelivery, config: WebhooksConfig): Promise<void> {
    const failure = await this.post(delivery, config.timeoutMs);
    try {
      if (failure === undefined) {
        await this.queue.complete(delivery.id);
        this.metrics.webhookSends.inc({ outcome: 'delivered' });
      } else if (delivery.attempt >= config.maxAttempts) {
        const { attempt, ...rest } = delivery;
        await this.queue.deadLetter({ ...rest, attempts: attempt, lastError: failure, failedAt: Date.now() }, config.deadLetterMax);
        this.metrics.webhookSends.inc({ outcome: 'dead_lettered' });
        this.logger.error(
          `webhook ${delivery.type} ${delivery.eventId} to ${origin(delivery.url)} dead-lettered after ${attempt} attempts: ${failure}`,
        );
      } else {
        const delay = retryDelayMs(delivery.attempt, config.retryBaseMs, config.retryMaxMs);
        await this.queue.retry(delivery.id, Date.now() + delay);
        this.metrics.webhookSends.inc({ outcome: 'failed' });
        this.logger.warn(
          `webhook ${delivery.type} ${delivery.eventId} to ${origin(delivery.url)} attempt ${delivery.attempt} failed (${failure}); retry in ${delay} ms`,
        );
        this.wakeIn(delay);
      }
    } catch (error) {
      // The queue is unreachable: the claim's lease runs out and the delivery is sent again (at least once).
      this.logger.warn(`webhook ${delivery.eventId}: could not record the outcome (${(error as Error).message}); it will be resent`);
    }
  }

  /** One attempt; undefined when the receiver answered 2xx, else why not. */
  private async post(delivery: ClaimedDelivery, timeoutMs: number): Promise<string | undefined> {
    const headers = (this.signer as WebhookSigner).sign(delivery.eventId, delivery.body, new Date());
    try {
      const response = await fetch(delivery.url, {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
          'switchboard-attempt': String(delivery.attempt),
        },
        body: delivery.body,
        // A redirect is an answer, not a success: following it would send signed events elsewhere.
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      // The body is not read (receivers answer what they like); cancelling frees the connection.
      await response.body?.cancel().catch(() => undefined);
      return response.status >= 200 && response.status < 300 ? undefined : `HTTP ${response.status}`;
    } catch (error) {
      const { name, message, cause } = error as Error & { cause?: { code?: string } };
      if (name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
      return cause?.code ?? message;
    }
  }

  /** This process's own retry: wake when it falls due rather than up to a poll later. */
  private wakeIn(delayMs: number): void {
    if (this.closing) return;
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.kick();
    }, delayMs + 5);
    timer.unref();
    this.retryTimers.add(timer);
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    clearInterval(this.poller);
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    if (this.inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, SHUTDOWN_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
  }
}

/** Logged instead of the URL, whose path or query may hold a receiver's token. */
function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'invalid URL';
  }
}
