import type { DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { AppConfig } from '../config';
import { createPino, httpLogging } from './pino';

/**
 * nestjs-pino for the application: every Nest log line and one line per HTTP request, all
 * carrying the request's correlation id while inside it. `enabled: false` (tests) silences it.
 */
export function loggingModule(config: AppConfig, enabled: boolean): DynamicModule {
  return LoggerModule.forRoot({
    pinoHttp: httpLogging(createPino(config, enabled)),
    renameContext: 'context',
  });
}
