import { createServer, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { closeAllClients, connect } from '../utils/clients';
import { eventually } from '../utils/eventually';
import { getJson, orderUpdated, publish } from '../utils/http';
import { sample, scrape } from '../utils/metrics';
import { RedisServer } from '../utils/redis-server';
import { RedisConnections } from '../../src/redis/redis-connections.service';
import { createTestApp, type TestApp } from '../utils/test-app';
import { staffToken } from '../utils/tokens';

/**
 * Finding 6 of the hostile review: a Redis that answers but refuses writes (maxmemory reached
 * with noeviction, a replica, MISCONF) used to look like a dead one: publishes were answered
 * `202 queued: true` and waited in node memory, with nothing naming the cause. Now such a
 * publish is refused at once (503 UNAVAILABLE, details.storage, Retry-After), readiness and
 * metrics name the reason, and events already queued are never dropped by it.
 */
describe('a Redis that refuses writes is not a dead Redis', () => {
  let redis: RedisServer;
  let admin: Redis;
  let server: TestApp;
  let replacement: RedisServer | undefined;
  beforeEach(async () => {
    redis = await RedisServer.start({ persistent: true });
    admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
    admin.on('error', () => undefined);
    await admin.connect();
    server = await createTestApp({ REDIS_URL: redis.url });
  });
  afterEach(async () => {
    closeAllClients();
    admin.disconnect();
    await server.close();
    await redis.stop();
    await replacement?.stop();
    replacement = undefined;
  });

  const metric = async (name: string, labels: Record<string, string> = {}) => sample(await scrape(`${server.url}/metrics`), name, labels);

  it('answers publishes 503 UNAVAILABLE (storage: full) with Retry-After while Redis is at maxmemory, queues nothing, and says why in health and metrics', async () => {
    expect((await publish(server.url, orderUpdated('branch:b1', 'o-1'))).body.seq).toBe(1);
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    await admin.config('SET', 'maxmemory', '1');

    for (let i = 0; i < 20; i++) {
      const refused = await publish(server.url, orderUpdated('branch:b1', `full-${i}`));
      expect(refused.status).toBe(503);
      expect(refused.body.error).toMatchObject({ code: 'UNAVAILABLE', details: { storage: 'full' } });
      expect(refused.headers.get('retry-after')).toBe('5');
    }
    expect(await metric('switchboard_outage_queue_events')).toBe(0);
    expect(await metric('switchboard_storage_refusals_total', { reason: 'full' })).toBeGreaterThanOrEqual(20);
    expect(await metric('switchboard_storage_writable')).toBe(0);

    const redisHealth = await getJson<{ details: { redis: Record<string, unknown> } }>(`${server.url}/health/redis`);
    expect(redisHealth.status).toBe(503);
    expect(redisHealth.body.details.redis).toMatchObject({
      status: 'down',
      writable: false,
      refusal: 'full',
      message: expect.stringMatching(/OOM/),
    });
    expect((await getJson(`${server.url}/health/ready`)).status).toBe(503);

    // The operator frees memory: publishing works at once, readiness comes back.
    await admin.config('SET', 'maxmemory', '0');
    expect((await publish(server.url, orderUpdated('branch:b1', 'o-2'))).body.seq).toBe(2);
    expect(await metric('switchboard_storage_writable')).toBe(1);
    await eventually('ready again', async () => (await getJson(`${server.url}/health/ready`)).status === 200, 10_000);
  });

  it('answers 503 (storage: read-only) while Redis is a replica, and recovers when it is promoted', async () => {
    const master = await RedisServer.start();
    try {
      await admin.replicaof('127.0.0.1', master.port);
      const refused = await publish(server.url, orderUpdated('branch:b1', 'o'));
      expect(refused.status).toBe(503);
      expect(refused.body.error).toMatchObject({ code: 'UNAVAILABLE', details: { storage: 'read-only' } });
      await admin.replicaof('NO', 'ONE');
      expect((await publish(server.url, orderUpdated('branch:b1', 'o'))).status).toBe(202);
    } finally {
      await master.stop();
    }
  });

  it('keeps queued events through a Redis that comes back full, and delivers them all once it takes writes', async () => {
    const client = await connect(server.url, '/orders', { token: staffToken() });
    await client.subscribe('branch:b1');
    await redis.kill9();
    const queued: string[] = [];
    for (let i = 0; i < 10; i++) {
      const answer = await publish(server.url, orderUpdated('branch:b1', `q-${i}`));
      expect(answer.body).toMatchObject({ queued: true });
      queued.push(`q-${i}`);
    }
    // Back, but full: the flush is refused, and nothing may be dropped for it.
    const full = await RedisServer.start({ port: redis.port, args: ['--maxmemory', '1', '--maxmemory-policy', 'noeviction'] });
    replacement = full;
    // The flusher retries with backoff (100, 200, 400 ms…): three refusals mean three attempts failed.
    await eventually(
      'the flush is refused, again and again',
      async () => ((await metric('switchboard_storage_refusals_total', { reason: 'full' })) ?? 0) >= 3,
      10_000,
    );
    // Nothing was dropped for it: what is not delivered still waits in the queue. (A Redis just
    // started at maxmemory sometimes takes its very first write, so one may be delivered already.)
    const waiting = (await metric('switchboard_outage_queue_events')) ?? 0;
    expect(waiting).toBeGreaterThan(0);
    expect(waiting + client.envelopes('branch:b1').length).toBe(10);

    const back = new Redis(full.url, { maxRetriesPerRequest: 1 });
    back.on('error', () => undefined);
    await back.config('SET', 'maxmemory', '0');
    back.disconnect();
    await client.until((c) => c.envelopes('branch:b1').length === 10, 10_000);
    expect(client.envelopes('branch:b1').map((envelope) => (envelope.data as { orderId: string }).orderId)).toEqual(queued);
  });
});

/** Every Redis connection of the app is ready and has answered a PING (sent after anything queued before it). */
async function allConnectionsSettled(app: TestApp): Promise<void> {
  const connections: RedisConnections = app.app.get(RedisConnections);
  const { clients } = connections as unknown as { clients: Map<string, { status: string; ping(): Promise<unknown> }> };
  for (const [role, client] of clients) {
    await eventually(`the ${role} connection is ready`, () => client.status === 'ready', 15_000);
    await client.ping();
  }
}

/** Finding 11: the circuit breaker's transitions are visible, and correct, around a real outage. */
describe('the bus circuit breaker around a Redis outage', () => {
  it('opens while Redis is dead (publishes queue and fail fast) and closes once it is back', async () => {
    const redis = await RedisServer.start({ persistent: true });
    const server = await createTestApp({ REDIS_URL: redis.url });
    const breaker = async () => sample(await scrape(`${server.url}/metrics`), 'switchboard_bus_breaker_state');
    try {
      expect(await breaker()).toBe(0);
      await redis.kill9();
      // Publishes during the outage are what trips it (3 failures at 50 %).
      await eventually(
        'the breaker opens',
        async () => {
          await publish(server.url, orderUpdated('branch:b1', 'during'));
          return (await breaker()) === 2;
        },
        15_000,
      );
      await redis.launch();
      await eventually('the breaker closes', async () => (await breaker()) === 0, 15_000);
      await eventually(
        'the queue is flushed',
        async () => sample(await scrape(`${server.url}/metrics`), 'switchboard_outage_queue_events') === 0,
        15_000,
      );
      expect((await publish(server.url, orderUpdated('branch:b1', 'after'))).body.seq).toEqual(expect.any(Number));
      // Closed only once every connection is back and past its own re-subscribe: ioredis sends
      // those itself on reconnect and drops their promises, so a node closed in the middle of it
      // rejects them with nobody listening (CI, 2026-12-03: "Connection is closed." x3).
      await allConnectionsSettled(server);
    } finally {
      closeAllClients();
      await server.close();
      await redis.stop();
    }
  });
});

// Seen once in CI (2026-12-03): a node closed right after an outage, while the Socket.IO adapter's
// subscriber had reconnected but was not ready yet, had the unsubscribes of the adapter's close()
// in its offline queue; the disconnect rejected them ("Connection is closed.") with nobody
// listening. A port that accepts connections and never answers holds the subscriber there.
describe('closing a node whose adapter connection is not ready yet', () => {
  it('leaves no unhandled rejection behind', async () => {
    const redis = await RedisServer.start();
    const server = await createTestApp({ REDIS_URL: redis.url });
    const held: Socket[] = [];
    const silent = createServer((socket) => held.push(socket));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await redis.kill9();
      await new Promise<void>((resolve) => silent.listen(redis.port, '127.0.0.1', resolve));
      const sub = server.app.get(RedisConnections).get('adapter-sub');
      await eventually('the adapter subscriber is connected but not ready', () => sub.status === 'connect', 15_000);
      await server.close();
      // The disconnect half-closed the socket; it is closed (and its queue flushed) once the far
      // side lets go too.
      for (const socket of held) socket.destroy();
      await eventually('the adapter subscriber has ended', () => sub.status === 'end', 15_000);
      // An unhandled rejection is reported once the microtasks have run: give it two turns.
      for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
      await server.close();
      await redis.stop();
    }
  });
});
