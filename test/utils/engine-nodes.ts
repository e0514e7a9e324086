import { closeAllClients } from './clients';
import { RedisServer } from './redis-server';
import { createTestApp, type TestApp } from './test-app';

/**
 * Registers a suite's hooks for the usual two-engine setup: one app on the embedded engine, or
 * two apps on one private Redis (so what crosses nodes is tested too). The returned array is
 * filled in `beforeAll`; clients are closed after each test, apps and Redis after the suite.
 */
export function nodesOn(engine: 'memory' | 'redis'): TestApp[] {
  const nodes: TestApp[] = [];
  let redis: RedisServer | undefined;
  beforeAll(async () => {
    if (engine === 'redis') redis = await RedisServer.start();
    nodes.push(await createTestApp({ REDIS_URL: redis?.url }));
    if (redis) nodes.push(await createTestApp({ REDIS_URL: redis.url }));
  });
  afterEach(() => closeAllClients());
  afterAll(async () => {
    for (const node of nodes.splice(0)) await node.close();
    await redis?.stop();
  });
  return nodes;
}
