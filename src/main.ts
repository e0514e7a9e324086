import { Logger } from '@nestjs/common';
import { createApp, createLogger } from './bootstrap';
import { loadConfigFromEnvironment } from './config';
import { shutDownOnSignals } from './lifecycle/shutdown';

async function main(): Promise<void> {
  const loaded = loadConfigFromEnvironment();
  if (!loaded.ok) {
    for (const line of loaded.errors) process.stderr.write(`config error: ${line}\n`);
    process.stderr.write('switchboard: refusing to start with invalid configuration\n');
    process.exitCode = 1;
    return;
  }
  const { config } = loaded;
  const logger = createLogger(config);
  for (const warning of loaded.warnings) logger.warn(warning, 'Config');

  // A library promise nobody awaits (the Socket.IO Redis adapter's subscribe, say) must not take
  // the whole process down; it is logged loudly instead. Our own code is tested to leave none.
  process.on('unhandledRejection', (reason) => {
    logger.error(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`, 'Process');
  });

  const app = await createApp(config, logger);
  shutDownOnSignals(app, config, logger);
  await app.listen(config.port, config.host);
  const engine = config.redis ? `redis (${config.redis.description})` : 'embedded memory';
  Logger.log(`listening on http://${config.host}:${config.port} as ${config.nodeId}, engine: ${engine}`, 'Switchboard');
  // PM2 (wait_ready) starts routing to this process, and stops the previous one, only after this.
  process.send?.('ready');
}

main().catch((error: unknown) => {
  process.stderr.write(`switchboard: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
