import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { AppConfig } from './config.types';

/** Injection token for the validated, immutable AppConfig. */
export const APP_CONFIG = Symbol('APP_CONFIG');

/**
 * Config is validated before Nest boots (see main.ts), then handed in here, so every
 * provider receives a typed, already-valid object and nothing else reads the environment.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: APP_CONFIG, useValue: Object.freeze(config) }],
      exports: [APP_CONFIG],
    };
  }
}
