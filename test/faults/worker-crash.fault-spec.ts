import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeAllClients, connect } from '../utils/clients';
import { orderUpdated, publish } from '../utils/http';
import { RedisServer } from '../utils/redis-server';
import { buildOnce, startServerProcess, type ServerProcess } from '../utils/server-process';
import { createTestApp, type TestApp } from '../utils/test-app';
import { staffToken, TEST_JWT_SECRET } from '../utils/tokens';

/**
 * A worker holding an outage queue dies (kill -9) before Redis returns. Its queue was also
 * written to its spool file, so another worker sharing the spool directory adopts and flushes
 * it once the dead worker's heartbeat has expired: the publishes it accepted are not lost.
 */
describe('a worker killed while it holds an outage queue', () => {
  const spoolDir = mkdtempSync(join(tmpdir(), 'sb-spool-shared-'));
  const env = { OUTAGE_SPOOL_DIR: spoolDir, CLUSTER_NODE_TTL_SECONDS: '2', JWT_SECRET: TEST_JWT_SECRET };
  let redis: RedisServer;
  let survivor: TestApp;
  let doomed: ServerProcess | undefined;

  beforeAll(async () => {
    buildOnce();
    redis = await RedisServer.start({ persistent: true });
    survivor = await createTestApp({ ...env, REDIS_URL: redis.url });
    doomed = await startServerProcess({ ...env, REDIS_URL: redis.url });
  }, 120_000);
  afterAll(async () => {
    closeAllClients();
    await doomed?.kill9();
    await survivor.close();
    await redis.stop();
  });

  it('has its queued publishes adopted and delivered, in order, by another worker', async () => {
    const client = await connect(survivor.url, '/orders', { token: staffToken('acme', ['w1']) });
    await client.subscribe('branch:w1');
    for (let i = 1; i <= 2; i++)
      expect((await publish((doomed as ServerProcess).url, orderUpdated('branch:w1', i))).body).toMatchObject({ seq: i });
    await client.until((c) => c.envelopes().length === 2);

    await redis.kill9();
    for (let i = 3; i <= 22; i++) {
      const result = await publish((doomed as ServerProcess).url, orderUpdated('branch:w1', i));
      expect(result.body).toMatchObject({ queued: true });
    }
    expect(readdirSync(spoolDir).some((name) => name.endsWith('.spool'))).toBe(true);
    await (doomed as ServerProcess).kill9();
    doomed = undefined;
    await redis.launch();

    await client.until((c) => c.envelopes().length === 22, 20_000);
    expect(client.envelopes().map((e) => (e.data as { orderId: number }).orderId)).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
    expect(client.envelopes().map((e) => e.seq)).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
    process.stdout.write(`[faults] worker killed holding 20 queued events: 20 adopted and delivered, 0 missing\n`);
  }, 60_000);
});
