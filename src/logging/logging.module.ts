import type { DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';

/**
 * nestjs-pino for the application: every Nest log line carries the request's correlation id
 * while inside a request. The request's logger is made by our own middleware (requestLogging,
 * mounted by createApp before Nest's routes), which nestjs-pino binds to the request's context
 * (`useExisting`); `root` serves lines logged outside a request.
 */
export function loggingModule(root: Logger): DynamicModule {
  return LoggerModule.forRoot({ pinoHttp: { logger: root }, useExisting: true, renameContext: 'context' });
}
