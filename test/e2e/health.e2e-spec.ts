import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeAllClients, connect } from '../utils/clients';
import { getJson, orderUpdated, publish } from '../utils/http';
import { RedisServer } from '../utils/redis-server';
import { createTestApp, type TestApp } from '../utils/test-app';
import { sample, scrape } from '../utils/metrics';
import { staffToken } from '../utils/tokens';

type Health = { status: string; details: Record<string, Record<string, unknown>> };

describe('health endpoints on the memory engine', () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await createTestApp();
  });
  afterEach(() => closeAllClients());
  afterAll(() => server.close());

  it('is live and ready, with a bus round-trip through the memory engine', async () => {
    expect((await getJson(`${server.url}/health/live`)).status).toBe(200);
    const ready = await getJson<Health>(`${server.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body.details.bus).toMatchObject({ status: 'up', engine: 'memory', roundTripMs: expect.any(Number) });
    expect(ready.body.details.redis).toMatchObject({ status: 'up', configured: false });
    // Plain /health (the probes of the original design) answers as /health/ready does.
    const plain = await getJson<Health>(`${server.url}/health`);
    expect(plain.status).toBe(200);
    expect(Object.keys(plain.body.details).sort()).toEqual(Object.keys(ready.body.details).sort());
  });

  it('counts connections per namespace on this node', async () => {
    await connect(server.url, '/orders', { token: staffToken() });
    await connect(server.url, '/orders', { token: staffToken() });
    await connect(server.url, '/availability', { token: staffToken() });
    const result = await getJson<Health>(`${server.url}/health/websocket`);
    expect(result.status).toBe(200);
    expect(result.body.details.websocket).toMatchObject({ status: 'up', connections: 3, namespaces: { '/orders': 2, '/availability': 1 } });
  });
});

describe('health endpoints on the Redis engine', () => {
  const spoolDir = mkdtempSync(join(tmpdir(), 'sb-spool-'));
  let redis: RedisServer;
  let server: TestApp;
  beforeAll(async () => {
    redis = await RedisServer.start();
    server = await createTestApp({ REDIS_URL: redis.url, OUTAGE_QUEUE_MAX_EVENTS: '2', OUTAGE_SPOOL_DIR: spoolDir });
  });
  afterEach(() => closeAllClients());
  afterAll(async () => {
    await server.close();
    await redis.stop();
  });

  async function until(path: string, status: number): Promise<Health> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const result = await getJson<Health>(`${server.url}${path}`);
      if (result.status === status) return result.body;
      if (Date.now() > deadline) throw new Error(`${path} stayed ${result.status}: ${JSON.stringify(result.body)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('is ready with Redis up, down (503, live still 200) with Redis killed, and ready again when it returns', async () => {
    const ready = await until('/health/ready', 200);
    expect(ready.details.bus).toMatchObject({ status: 'up', engine: 'redis' });
    expect(ready.details.redis).toMatchObject({ status: 'up', configured: true });
    expect((await getJson(`${server.url}/health/redis`)).status).toBe(200);
    const watcher = await connect(server.url, '/orders', { token: staffToken() });
    await watcher.subscribe('branch:b1');

    await redis.kill9();
    const down = await until('/health/ready', 503);
    expect(down.status).toBe('error');
    expect(down.details.redis.status).toBe('down');
    expect(down.details.bus.status).toBe('down');
    expect((await getJson(`${server.url}/health/redis`)).status).toBe(503);
    expect((await getJson(`${server.url}/health`)).status).toBe(503);
    expect((await getJson(`${server.url}/health/live`)).status).toBe(200);

    // Publishes wait in the bounded outage queue; past its bound, publishers get backpressure, never a silent drop.
    const queued = await publish(server.url, orderUpdated('branch:b1', 1));
    expect(queued.status).toBe(202);
    expect(queued.body).toEqual({ id: expect.any(String), channel: 'branch:b1', queued: true });
    expect((await publish(server.url, orderUpdated('branch:b1', 2))).body).toMatchObject({ queued: true });
    const refused = await publish(server.url, orderUpdated('branch:b1', 3));
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ error: { code: 'UNAVAILABLE' } });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    const outage = await scrape(`${server.url}/metrics`);
    expect(sample(outage, 'switchboard_bus_publishes_total', { outcome: 'queued' })).toBe(2);
    expect(sample(outage, 'switchboard_bus_publishes_total', { outcome: 'refused' })).toBe(1);
    expect(sample(outage, 'switchboard_outage_queue_events')).toBe(2);
    expect(sample(outage, 'switchboard_outage_queue_max_events')).toBe(2);
    // The last readiness answer was 503 (until() saw it): what the alert rule reads.
    expect(sample(outage, 'switchboard_ready')).toBe(0);
    const client = await connect(server.url, '/orders', { token: staffToken() });
    // A channel this node does not follow yet needs Redis to learn its position.
    expect(await client.subscribe('company:acme')).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
    client.close();

    await redis.launch();
    const back = await until('/health/ready', 200);
    expect(sample(await scrape(`${server.url}/metrics`), 'switchboard_ready')).toBe(1);
    expect(back.details.bus.status).toBe('up');
    // The two queued events are flushed, in order, before any newer one (Redis came back empty: a new epoch).
    await watcher.until((c) => c.envelopes().length === 2, 10_000);
    expect(sample(await scrape(`${server.url}/metrics`), 'switchboard_bus_publishes_total', { outcome: 'flushed' })).toBe(2);
    expect((await publish(server.url, orderUpdated('branch:b1', 4))).status).toBe(202);
    await watcher.until((c) => c.envelopes().length === 3, 10_000);
    expect(watcher.envelopes().map((e) => [(e.data as { orderId: number }).orderId, e.seq])).toEqual([
      [1, 1],
      [2, 2],
      [4, 3],
    ]);
  });
});
