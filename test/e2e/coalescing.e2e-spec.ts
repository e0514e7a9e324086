import { closeAllClients, connect, type TestClient } from '../utils/clients';
import { orderUpdated, publish } from '../utils/http';
import { RedisServer } from '../utils/redis-server';
import { createTestApp, type TestApp } from '../utils/test-app';
import { staffToken } from '../utils/tokens';

/**
 * Adaptive micro-batching, forced on (load threshold 0) with a window long enough that separate
 * HTTP publishes land in it even on a slow machine.
 */
describe.each(['memory', 'redis'] as const)('coalesced live delivery on the %s engine', (engine) => {
  let redis: RedisServer | undefined;
  let server: TestApp;

  beforeAll(async () => {
    if (engine === 'redis') redis = await RedisServer.start();
    server = await createTestApp({ REDIS_URL: redis?.url, DELIVERY_COALESCE_LOAD: '0', DELIVERY_COALESCE_MS: '300' });
  });
  afterEach(() => closeAllClients());
  afterAll(async () => {
    await server?.close();
    await redis?.stop();
  });

  const dashboard = (): Promise<TestClient> => connect(server.url, '/orders', { token: staffToken('acme', ['b1']) });

  it('sends separately published events of one channel as one `batch` frame, in seq order', async () => {
    const client = await dashboard();
    await client.subscribe('branch:b1');
    const results = await Promise.all([1, 2, 3].map((i) => publish(server.url, orderUpdated('branch:b1', i))));
    expect(results.map((r) => r.status)).toEqual([202, 202, 202]);
    await client.until((c) => c.envelopes('branch:b1').length === 3);
    expect(client.envelopes('branch:b1').map((e) => e.seq)).toEqual([1, 2, 3]);
    // Three publishes, fewer frames: at least two of them shared one.
    const frames = client.events.filter(([event]) => event === 'batch' || event === 'order:updated');
    expect(frames.length).toBeLessThan(3);
    expect(frames.some(([event]) => event === 'batch')).toBe(true);
  });

  it('does not deliver held events twice to a subscriber whose replay already covered them', async () => {
    const first = await dashboard();
    const ack = await first.subscribe('branch:b1');
    const held = await publish(server.url, orderUpdated('branch:b1', 'held'));
    // The event is held (300 ms window) while the second client subscribes from before it.
    const second = await dashboard();
    const resumed = await second.subscribe('branch:b1', { epoch: ack.epoch, seq: ack.seq });
    expect(resumed).toMatchObject({ ok: true, recovered: true, missed: 1 });
    const next = await publish(server.url, orderUpdated('branch:b1', 'next'));
    for (const client of [first, second]) {
      await client.until((c) => c.envelopes('branch:b1').some((e) => e.seq === next.body.seq));
      expect(client.envelopes('branch:b1').map((e) => e.seq)).toEqual([held.body.seq, next.body.seq]);
    }
  });
});
