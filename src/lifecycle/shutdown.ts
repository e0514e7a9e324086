import type { INestApplication, LoggerService } from '@nestjs/common';
import type { AppConfig } from '../config';
import { DrainService } from './drain.service';

/**
 * SIGTERM/SIGINT → drain (readiness down, no new connections, clients told and disconnected in
 * batches, print jobs requeued, outage queue flushed) → close every module (Redis last) → exit 0.
 * A second signal, or overrunning the deadline by 5 s, exits at once with 1.
 */
export function shutDownOnSignals(app: INestApplication, config: AppConfig, logger: LoggerService): void {
  let stopping = false;
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) {
      logger.warn(`second ${signal}: exiting without finishing the drain`, 'Shutdown');
      process.exit(1);
    }
    stopping = true;
    logger.log(`${signal}: draining (deadline ${config.process.drainDeadlineSeconds} s)`, 'Shutdown');
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
  process.once('SIGTERM', (signal) => void stop(signal));
  process.once('SIGINT', (signal) => void stop(signal));
}
