import type { DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';

/**
 * nestjs-pino for the application: every Nest log line carries the request's correlation id
 * while inside a request. The request's context is bound by our own Fastify hooks
 * (installRequestLogging), so nestjs-pino's middleware is mounted nowhere (`forRoutes: []`);
 * `root` serves lines logged outside a request.
 */
export function loggingModule(root: Logger): DynamicModule {
  return LoggerModule.forRoot({ pinoHttp: { logger: root }, useExisting: true, forRoutes: [], renameContext: 'context' });
}
