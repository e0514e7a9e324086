import cluster from 'node:cluster';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config';
import { DRAINING_MESSAGE } from './cluster-messages';
import { DRAIN_PHASES, DrainSteps } from './drain-steps';

/** What each step returned, by its name, and how long the drain took. */
export type DrainReport = Readonly<Record<string, number | boolean>> & { readonly tookMs: number };

/**
 * The shutdown sequence, within DRAIN_DEADLINE_SECONDS: readiness goes down and the sticky
 * primary routes no new sessions here; then the registered steps run phase by phase (DrainSteps):
 * no new print jobs to agents; clients get `server:draining` and are disconnected in batches;
 * unacknowledged print jobs go back to the queue; the outage queue is flushed. Closing Redis and
 * exiting 0 follow in main.ts, through app.close().
 */
@Injectable()
export class DrainService {
  private readonly logger = new Logger('Drain');
  private started = false;

  constructor(
    private readonly steps: DrainSteps,
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
    const results: Record<string, number | boolean> = {};
    for (const phase of DRAIN_PHASES) {
      for (const step of this.steps.of(phase)) {
        try {
          results[step.name] = await step.run(deadline);
        } catch (error) {
          this.logger.warn(`drain step ${step.name}: ${(error as Error).message}`);
          results[step.name] = false;
        }
      }
    }
    const report: DrainReport = { ...results, tookMs: Date.now() - started };
    this.logger.log(`drained: ${JSON.stringify(report)}`);
    return report;
  }
}
