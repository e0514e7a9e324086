import { MetricsService } from '../metrics/metrics.service';
import { Injectable, Logger } from '@nestjs/common';
import { EventBus } from '../bus/event-bus.service';
import type { Envelope } from '../bus/envelope';
import { channelRef } from '../channels/channel-ref';
import { ORDERS_NAMESPACE } from '../orders/orders.definition';
import { WebhookEmitter } from '../webhooks/webhook-emitter.service';
import type { PrintJob } from './print-job.model';
import { PRINTING_NAMESPACE } from './printing.definition';
import {
  PrintingEvent,
  type AgentAlertData,
  type PrintersUpdatedData,
  type PrintJobCancelledPayload,
  type PrintJobUpdatedData,
} from './printing.events';

/** Cross-instance printing signals, on the bus's internal channel. */
export type PrintingSignal =
  | { readonly type: 'queued'; readonly companyId: string; readonly branchId: string }
  | { readonly type: 'cancelled'; readonly companyId: string; readonly branchId: string; readonly payload: PrintJobCancelledPayload };

const SIGNALS_KEY = '!signals/printing';

/**
 * Everything printing tells the world: lifecycle changes to dashboards (/orders and /printing-ws,
 * channel branch:<id>), agent alerts (/orders company:<id>), and signals to the other instances.
 * A failed announcement is logged, never thrown: the job's state in the store is the truth.
 */
@Injectable()
export class PrintingNotifier {
  private readonly logger = new Logger('Printing');

  constructor(
    private readonly bus: EventBus,
    private readonly metrics: MetricsService,
    private readonly webhooks: WebhookEmitter,
  ) {}

  async jobChanged(job: PrintJob): Promise<void> {
    this.metrics.observePrintJob(job.companyId, job.status);
    const data: PrintJobUpdatedData = {
      jobId: job.jobId,
      status: job.status,
      ...(job.orderId !== null ? { orderId: job.orderId } : {}),
      correlationId: job.correlationId,
      printerId: job.printerId ?? job.requestedPrinterId,
      at: job.history[job.history.length - 1]?.at ?? Date.now(),
    };
    const channel = `branch:${job.branchId}`;
    // One node makes each transition (a compare-and-set in the store), so the webhook is raised once.
    if (job.status === 'failed' || job.status === 'expired') {
      const { jobId, branchId, attempts, history } = job;
      const detail = history[history.length - 1]?.detail;
      this.webhooks.notify(
        `print:job-${job.status}`,
        job.companyId,
        {
          jobId,
          branchId,
          orderId: job.orderId,
          correlationId: job.correlationId,
          printerId: data.printerId,
          attempts,
          ...(detail ? { detail } : {}),
        },
        `print-job:${job.companyId}:${jobId}:${job.status}`,
        data.at,
      );
    }
    await this.announce([
      { ref: channelRef(job.companyId, ORDERS_NAMESPACE.name, channel), event: PrintingEvent.JOB_UPDATED, data },
      { ref: channelRef(job.companyId, PRINTING_NAMESPACE.name, channel), event: PrintingEvent.JOB_UPDATED, data },
    ]);
  }

  async agentAlert(companyId: string, type: 'offline' | 'online', data: AgentAlertData): Promise<void> {
    const event = type === 'offline' ? PrintingEvent.AGENT_OFFLINE : PrintingEvent.AGENT_ONLINE;
    // Alerts come from the one elected evaluator; the key also collapses a repeat after an evaluator failover.
    this.webhooks.notify(event, companyId, { ...data }, `agent-${type}:${companyId}:${data.branchId}:${data.since}`, data.since);
    await this.announce([
      { ref: channelRef(companyId, ORDERS_NAMESPACE.name, `company:${companyId}`), event, data },
      { ref: channelRef(companyId, PRINTING_NAMESPACE.name, `branch:${data.branchId}`), event, data },
    ]);
  }

  async printersChanged(companyId: string, branchId: string, data: PrintersUpdatedData): Promise<void> {
    await this.announce([
      { ref: channelRef(companyId, PRINTING_NAMESPACE.name, `branch:${branchId}`), event: PrintingEvent.PRINTERS_UPDATED, data },
    ]);
  }

  async signal(signal: PrintingSignal): Promise<void> {
    try {
      await this.bus.signal(SIGNALS_KEY, signal.type, signal);
    } catch (error) {
      // Every instance also scans its branches each second, so a lost signal only delays.
      this.logger.warn(`printing signal ${signal.type} not sent: ${(error as Error).message}`);
    }
  }

  /** `onLive` runs when the signal feed comes back after a gap (signals may have been missed). */
  onSignal(handler: (signal: PrintingSignal) => void, onLive?: () => void): Promise<void> {
    return this.bus.listen(SIGNALS_KEY, (event: Envelope) => handler(event.data as PrintingSignal), onLive);
  }

  private async announce(requests: Parameters<EventBus['publish']>[0]): Promise<void> {
    try {
      await this.bus.publish(requests);
    } catch (error) {
      this.logger.warn(`printing announcement not sent: ${(error as Error).message}`);
    }
  }
}
