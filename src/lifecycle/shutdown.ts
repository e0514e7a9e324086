import cluster from 'node:cluster';
import type { INestApplication, LoggerService } from '@nestjs/common';
import type { AppConfig } from '../config';
import { DRAIN_REQUEST, isTyped } from './cluster-messages';
import { DrainService } from './drain.service';

/**
 * SIGTERM/SIGINT → drain (readiness down, no new connections, clients told and disconnected in
 * batches, print jobs requeued, outage queue flushed) → close every module (Redis last) → exit 0.
 * A second signal, or overrunning the deadline by 5 s, exits at once with 1.
 *
 * A sticky-cluster worker also drains when its primary asks over IPC (rolling restart, or the
 * primary's own SIGTERM). A Ctrl-C in a terminal reaches the primary and every worker at once;
 * the primary's request then arrives while the worker already drains and is not a second signal.
 */
export function shutDownOnSignals(app: INestApplication, config: AppConfig, logger: LoggerService): void {
  let stopping = false;
  const stop = async (reason: string): Promise<void> => {
    stopping = true;
    logger.log(`${reason}: draining (deadline ${config.process.drainDeadlineSeconds} s)`, 'Shutdown');
    const overrun = setTimeout(
      () => {
        logger.error('drain deadline overrun: exiting', 'Shutdown');
        process.exit(1);
      },
      (config.process.drainDeadlineSeconds + 5) * 1000,
    );
    overrun.unref();
    try {
      // The HTTP listener stays open while draining, so load balancers can read /health/ready (503)
      // and in-flight publishes finish; new Socket.IO sessions are refused by the adapter.
      await app.get(DrainService).drain();
      await app.close();
      process.exit(0);
    } catch (error) {
      logger.error(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`, 'Shutdown');
      process.exit(1);
    }
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn(`second ${signal}: exiting without finishing the drain`, 'Shutdown');
      process.exit(1);
    }
    void stop(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  if (cluster.isWorker) {
    process.on('message', (message: unknown) => {
      if (isTyped(message, DRAIN_REQUEST) && !stopping) void stop('primary asked to drain');
    });
  }
}
