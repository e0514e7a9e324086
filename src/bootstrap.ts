import type { DynamicModule, LoggerService } from '@nestjs/common';
import { Logger as NestPinoLogger } from 'nestjs-pino';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Server } from 'socket.io';
import { AppModule } from './app.module';
import { createPino, installRequestLogging } from './logging/pino';
import { registerBrowserCors } from './common/browser-cors';
import { PinoNestLogger } from './logging/pino-nest.logger';
import { HttpErrorFilter } from './common/http-error.filter';
import { createHttpAdapter } from './common/http-platform';
import { JsonBodyInterceptor } from './common/json-body.interceptor';
import { enforceHttpDeadlines, limitConnectionsPerIp } from './common/http-deadlines';
import { isOriginAllowed } from './common/origin-policy';
import type { AppConfig } from './config';
import { DrainService } from './lifecycle/drain.service';
import { ConnectionMonitor } from './realtime/connection-monitor.service';
import { ProcessCapacity } from './realtime/process-capacity.service';
import { EngineAdmission } from './realtime/engine-admission.service';
import { SwitchboardIoAdapter } from './realtime/socket.adapter';
import { RedisConnections } from './redis/redis-connections.service';
import { setupOpenApi } from './openapi/openapi';

/** The process logger for what runs before (or outside) the application: pino, as configured. */
export function createLogger(config: AppConfig): PinoNestLogger {
  return new PinoNestLogger(createPino(config));
}

const adapters = new WeakMap<NestFastifyApplication, SwitchboardIoAdapter>();

/** The Socket.IO server of an app built by createApp, once `init()` has run (sticky workers hand it to setupWorker). */
export function socketServerOf(app: NestFastifyApplication): Server {
  const server = adapters.get(app)?.server;
  if (!server) throw new Error('the Socket.IO server exists only after app.init()');
  return server;
}

/**
 * Builds the whole application (HTTP + Socket.IO) exactly as production runs it; main.ts and
 * the test helpers both come through here, so tests exercise the real wiring.
 */
export async function createApp(
  config: AppConfig,
  logger: LoggerService | false = createLogger(config),
  /** Extra modules (tests add namespaces that misbehave on purpose). */
  extraImports: DynamicModule['imports'] = [],
): Promise<NestFastifyApplication> {
  const root = createPino(config, logger !== false, true);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, extraImports, { logger: root }),
    createHttpAdapter(),
    {
      bodyParser: false,
      // Boot messages go to `logger` until nestjs-pino's logger takes over.
      logger,
      abortOnError: false,
    },
  );
  if (logger !== false) app.useLogger(app.get(NestPinoLogger));
  installRequestLogging(app.getHttpAdapter().getInstance(), root);
  registerBrowserCors(app.getHttpAdapter().getInstance(), {
    origin: (origin: string | undefined, callback: (error: Error | null, allow: boolean) => void) =>
      callback(null, origin !== undefined && isOriginAllowed(config.cors, origin)),
  });
  app.useGlobalFilters(new HttpErrorFilter());
  // Bodies are read after authentication, never before (see JsonBodyInterceptor).
  app.useGlobalInterceptors(new JsonBodyInterceptor(config.limits.httpMaxBodyBytes));
  const drain = app.get(DrainService);
  const adapter = new SwitchboardIoAdapter(
    app,
    config,
    app.get(RedisConnections),
    app.get(ConnectionMonitor),
    app.get(EngineAdmission),
    app.get(ProcessCapacity),
    () => drain.draining,
  );
  adapters.set(app, adapter);
  app.useWebSocketAdapter(adapter);
  setupOpenApi(app);
  const { headersTimeoutMs, requestTimeoutMs, httpConnectionsPerIp, trustProxy } = config.limits;
  enforceHttpDeadlines(app.getHttpServer(), { headersTimeoutMs, requestTimeoutMs });
  limitConnectionsPerIp(app.getHttpServer(), trustProxy ? 0 : httpConnectionsPerIp);
  return app;
}
