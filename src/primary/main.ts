import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { availableParallelism } from 'node:os';
import { Logger } from '@nestjs/common';
import { setupMaster, setupWorker } from '@socket.io/sticky';
import { gateUnknownSessions } from './session-gate';
import { createApp, createLogger, socketServerOf } from '../bootstrap';
import { type AppConfig, loadConfigFromEnvironment } from '../config';
import { READY_MESSAGE } from '../lifecycle/cluster-messages';
import { shutDownOnSignals } from '../lifecycle/shutdown';
import { WorkerPool } from './worker-pool';
import { workerExecArgv } from './worker-flags';
import { serveClusterMetrics } from '../metrics/cluster-metrics.server';

/**
 * The sticky cluster: one node:cluster primary owns the listening socket and hands each
 * connection to a worker with @socket.io/sticky, by Engine.IO session id, so HTTP long-polling
 * works across workers. PM2 runs this file in fork mode (ecosystem.config.js).
 *
 *   SIGTERM / SIGINT   every worker drains in parallel, then the primary exits 0
 *   SIGUSR2            rolling restart: one worker at a time, the new one ready before the old drains
 *   a worker crashes   it is replaced (with backoff if crashes repeat)
 */
function loadOrExit(): AppConfig {
  const loaded = loadConfigFromEnvironment();
  if (!loaded.ok) {
    for (const line of loaded.errors) process.stderr.write(`config error: ${line}\n`);
    process.stderr.write('switchboard: refusing to start with invalid configuration\n');
    process.exit(1);
  }
  return loaded.config;
}

async function runPrimary(): Promise<void> {
  const config = loadOrExit();
  const size = config.process.workers === 0 ? availableParallelism() : config.process.workers;
  if (size > 1 && !config.redis) {
    process.stderr.write(
      `switchboard: refusing to start ${size} workers without REDIS_URL: the embedded in-memory engine lives in one process, ` +
        "so workers would not see each other's events. Set REDIS_URL (or REDIS_SENTINELS), or WORKERS=1.\n",
    );
    process.exit(1);
  }
  const logger = createLogger(config);
  const log = {
    info: (message: string) => logger.log(message, 'Primary'),
    warn: (message: string) => logger.warn(message, 'Primary'),
    error: (message: string) => logger.error(message, 'Primary'),
  };

  const server = createServer();
  setupMaster(server, { loadBalancingMethod: 'least-connection' });
  gateUnknownSessions(server, 1000, (message) => log.info(`sticky: ${message}`));
  // Workers run this file directly, even when the primary was started through scripts/run-built.mjs.
  // Sticky passes raw request bytes over IPC: with JSON serialization the hand-off is dropped
  // (measured here: every request hung up), so the advanced (structured clone) one is required.
  // Each worker owns one core: its GC must not take that core from its event loop (worker-flags.ts).
  cluster.setupPrimary({ exec: __filename, args: [], execArgv: workerExecArgv(process.execArgv), serialization: 'advanced' });
  const pool = new WorkerPool({ size, drainDeadlineSeconds: config.process.drainDeadlineSeconds, log });

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) {
      log.warn(`second ${signal}: killing workers without finishing the drain`);
      pool.killAll();
      process.exit(1);
    }
    stopping = true;
    log.info(`${signal}: draining ${pool.workerIds.length} workers`);
    await pool.stop();
    server.close();
    process.exit(0);
  };
  process.on('SIGTERM', (signal) => void stop(signal));
  process.on('SIGINT', (signal) => void stop(signal));
  process.on('SIGUSR2', () => void pool.rollingRestart());

  // Listen only once every worker can take connections: sticky hands a connection to a worker at once.
  await pool.start();
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  if (config.process.metricsPort > 0) await serveClusterMetrics(config.process.metricsPort, config.process.metricsHost, log);
  log.info(`listening on http://${config.host}:${port} with ${size} workers (sticky sessions)`);
  process.send?.(READY_MESSAGE);
}

async function runWorker(): Promise<void> {
  const config = loadOrExit();
  const logger = createLogger(config);
  const app = await createApp(config, logger);
  shutDownOnSignals(app, config, logger);
  await app.init();
  // Fastify serves requests only once ready, which listen() would have done.
  await app.getHttpAdapter().getInstance().ready();
  // The primary owns the port; connections arrive over IPC.
  setupWorker(socketServerOf(app));
  Logger.log(`worker ${cluster.worker?.id} ready as ${config.nodeId}`, 'Switchboard');
  process.send?.(READY_MESSAGE);
}

(cluster.isPrimary ? runPrimary() : runWorker()).catch((error: unknown) => {
  process.stderr.write(`switchboard: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
