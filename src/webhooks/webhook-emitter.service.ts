import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, type WebhookEventType, type WebhooksConfig } from '../config';
import { MetricsService } from '../metrics/metrics.service';
import type { WebhookBody, WebhookDelivery } from './webhook.model';
import { WEBHOOK_QUEUE, type WebhookQueue } from './webhook-queue';
import { WebhookSender } from './webhook-sender.service';

/** Events held in memory while the queue (Redis) is unreachable; past this they are dropped, counted and logged. */
export const BUFFER_MAX = 1000;

interface Raised {
  readonly eventId: string;
  readonly type: WebhookEventType;
  readonly deliveries: readonly WebhookDelivery[];
}

/**
 * Where operator events become webhooks. Sources call notify() and return at once: queueing
 * happens in the background, so delivery to sockets never waits on a receiver, or on Redis.
 * Each event is raised on the one node that decided it (the elected alert evaluator, the node
 * that moved a print job, the node that saw the last presence connection go) or, for channel
 * resets seen by every node, under an id derived from the reset itself, which the queue
 * deduplicates. docs/webhooks.md.
 */
@Injectable()
export class WebhookEmitter implements OnApplicationShutdown {
  private readonly logger = new Logger('Webhooks');
  private readonly config: WebhooksConfig | undefined;
  private readonly buffer: Raised[] = [];
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(WEBHOOK_QUEUE) private readonly queue: WebhookQueue,
    private readonly sender: WebhookSender,
    private readonly metrics: MetricsService,
  ) {
    this.config = config.webhooks;
    if (this.config) sender.onBuffered(() => this.buffer.length);
  }

  /** Whether `type` for `companyId` is configured to be sent (sources may skip building data). */
  wants(type: WebhookEventType, companyId: string): boolean {
    const config = this.config;
    if (!config?.events.includes(type)) return false;
    if (type !== 'presence:joined' && type !== 'presence:left') return true;
    return config.presenceCompanies === '*' || config.presenceCompanies.includes(companyId);
  }

  /**
   * Raises an event. `dedupeKey` names the occurrence (the same on every node that may raise
   * it); without one, the event is unique. `occurredAt` is the body's timestamp.
   */
  notify(
    type: WebhookEventType,
    companyId: string,
    data: Readonly<Record<string, unknown>>,
    dedupeKey?: string,
    occurredAt = Date.now(),
  ): void {
    const config = this.config;
    if (!config || !this.wants(type, companyId)) return;
    const eventId = dedupeKey === undefined ? `evt_${randomUUID().replaceAll('-', '')}` : `evt_${digest(dedupeKey, 32)}`;
    const body: WebhookBody = { id: eventId, type, timestamp: new Date(occurredAt).toISOString(), data: { ...data, companyId } };
    const json = JSON.stringify(body);
    const deliveries = config.urls.map((url) => ({ id: `${eventId}.${digest(url, 8)}`, eventId, type, companyId, url, body: json }));
    void this.enqueue({ eventId, type, deliveries });
  }

  private async enqueue(raised: Raised): Promise<void> {
    try {
      const queued = await this.queue.enqueue(raised.eventId, raised.deliveries, Date.now());
      this.metrics.webhookEvents.inc({ type: raised.type, outcome: queued ? 'queued' : 'duplicate' });
      if (queued) this.sender.kick();
    } catch (error) {
      this.hold(raised, error as Error);
    }
  }

  /** Redis unreachable: keep the event here (bounded) and try again each WEBHOOK_POLL_MS. */
  private hold(raised: Raised, error: Error): void {
    if (this.buffer.length >= BUFFER_MAX) {
      this.metrics.webhookEvents.inc({ type: raised.type, outcome: 'dropped' });
      this.logger.error(
        `webhook ${raised.type} ${raised.eventId} dropped: queue unreachable (${error.message}) and ${BUFFER_MAX} events already held`,
      );
      return;
    }
    this.buffer.push(raised);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.buffer.length === 0 || !this.config) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.flushBuffer();
    }, this.config.pollMs);
    this.retryTimer.unref();
  }

  private async flushBuffer(): Promise<void> {
    while (this.buffer.length > 0) {
      const raised = this.buffer[0];
      try {
        const queued = await this.queue.enqueue(raised.eventId, raised.deliveries, Date.now());
        this.metrics.webhookEvents.inc({ type: raised.type, outcome: queued ? 'queued' : 'duplicate' });
      } catch {
        this.scheduleRetry();
        return;
      }
      this.buffer.shift();
    }
    this.sender.kick();
  }

  onApplicationShutdown(): void {
    clearTimeout(this.retryTimer);
    if (this.buffer.length > 0) this.logger.error(`${this.buffer.length} webhook events could not be queued before shutdown and are lost`);
  }
}

function digest(text: string, length: number): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, length);
}
