import type { DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';

/**
 * nestjs-pino for the application: Nest's log lines go to `root` as JSON. Its middleware is
 * mounted nowhere (`forRoutes: []`): request lines are our own Fastify hook
 * (installRequestLogging), and no request context is bound (AsyncLocalStorage's promise hooks
 * would tax every promise of the process); lines about a request name its correlation id.
 */
export function loggingModule(root: Logger): DynamicModule {
  return LoggerModule.forRoot({ pinoHttp: { logger: root }, useExisting: true, forRoutes: [], renameContext: 'context' });
}
