import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamicModule } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/bootstrap';
import { loadConfig, type AppConfig } from '../../src/config';
import { TEST_JWT_SECRET } from './tokens';

export interface TestApp {
  readonly app: NestFastifyApplication;
  readonly url: string;
  readonly config: AppConfig;
  close(): Promise<void>;
}

/**
 * Boots the real application (same bootstrap as main.ts) on 127.0.0.1 and port 0. `env` is a
 * plain object of environment variables, validated by the real config loader.
 */
let apps = 0;

export async function createTestApp(
  env: Record<string, string | undefined> = {},
  extraImports: DynamicModule['imports'] = [],
): Promise<TestApp> {
  const loaded = loadConfig({
    NODE_ENV: 'test',
    JWT_SECRET: TEST_JWT_SECRET,
    // TEST_LOG_LEVEL=debug shows a suite's server logs when diagnosing it.
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
    NODE_ID: `test-${process.pid}-${++apps}`,
    // A private spool per app: apps of different suites must not adopt each other's outage queues.
    OUTAGE_SPOOL_DIR: mkdtempSync(join(tmpdir(), 'sb-spool-')),
    ...env,
    PORT: '0',
    HOST: '127.0.0.1',
  });
  if (!loaded.ok) throw new Error(`invalid test config: ${loaded.errors.join('; ')}`);
  const app = await createApp(loaded.config, process.env.TEST_LOG_LEVEL ? undefined : false, extraImports);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  let closed = false;
  return {
    app,
    url: `http://127.0.0.1:${address.port}`,
    config: loaded.config,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
    },
  };
}
