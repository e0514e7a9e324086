import cluster from 'node:cluster';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { EventBus } from '../bus/event-bus.service';
import { APP_CONFIG, type AppConfig } from '../config';
import { PrintDispatcher } from '../printing/print-dispatcher.service';
import { DeliveryService } from '../realtime/delivery.service';
import { RealtimeEvent, type ServerDrainingPayload } from '../realtime/realtime.events';
import { DRAINING_MESSAGE } from './cluster-messages';

export interface DrainReport {
  readonly sockets: number;
  readonly requeuedPrintJobs: number;
  readonly queueFlushed: boolean;
  readonly tookMs: number;
}

/** Workers tell the sticky primary to route no new sessions to them. */
const BATCHES = 10;
const BATCH_INTERVAL_MS = 500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The shutdown sequence, in order, within DRAIN_DEADLINE_SECONDS:
 * 1. readiness goes down; 2. no new connections; 3. clients get `server:draining` with a jittered
 * `reconnectAfterMs`, then are disconnected in batches (10 % every 500 ms, faster if the deadline
 * needs it); 4. unacknowledged print jobs go back to the queue; 5. the outage queue is flushed.
 * Closing Redis (6) and exiting 0 (7) follow in main.ts, through app.close().
 */
@Injectable()
export class DrainService {
  private readonly logger = new Logger('Drain');
  private started = false;

  constructor(
    private readonly delivery: DeliveryService,
    private readonly dispatcher: PrintDispatcher,
    private readonly bus: EventBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get draining(): boolean {
    return this.started;
  }

  async drain(): Promise<DrainReport> {
    const started = Date.now();
    const deadline = started + this.config.process.drainDeadlineSeconds * 1000;
    this.started = true;
    if (cluster.isWorker) process.send?.({ type: DRAINING_MESSAGE });
    // No new print job goes to an agent that is about to be disconnected.
    this.dispatcher.stopDispatching();

    const sockets = this.delivery.namespaceNames().flatMap((name) => [...(this.delivery.namespace(name)?.sockets.values() ?? [])]);
    // Half the budget for disconnecting; the rest for print jobs, the queue and closing.
    const interval = Math.min(BATCH_INTERVAL_MS, Math.floor((deadline - Date.now()) / 2 / BATCHES));
    const spread = Math.max(1000, interval * BATCHES);
    for (const socket of sockets) {
      const payload: ServerDrainingPayload = { reconnectAfterMs: Math.floor(Math.random() * spread) };
      socket.emit(RealtimeEvent.SERVER_DRAINING, payload);
    }
    const batchSize = Math.max(1, Math.ceil(sockets.length / BATCHES));
    for (let index = 0; index < sockets.length; index += batchSize) {
      // Closing the transport (not a namespace disconnect) lets standard clients reconnect on their own.
      for (const socket of sockets.slice(index, index + batchSize)) socket.conn.close();
      if (index + batchSize < sockets.length) await sleep(interval);
    }

    const requeuedPrintJobs = await this.dispatcher.requeueAll('instance shutting down').catch((error: Error) => {
      this.logger.warn(`requeueing print jobs: ${error.message}`);
      return 0;
    });
    const queueFlushed = await this.bus.drainOutageQueue(Math.max(0, deadline - Date.now() - 1000));
    const report: DrainReport = { sockets: sockets.length, requeuedPrintJobs, queueFlushed, tookMs: Date.now() - started };
    this.logger.log(`drained: ${JSON.stringify(report)}`);
    return report;
  }
}
