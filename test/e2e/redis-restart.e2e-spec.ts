import { closeAllClients, connect, type TestClient } from '../utils/clients';
import { orderUpdated, publish } from '../utils/http';
import { RedisServer } from '../utils/redis-server';
import { createTestApp, type TestApp } from '../utils/test-app';
import { staffToken } from '../utils/tokens';

describe.each([
  ['without persistence (comes back empty)', false],
  ['with AOF persistence (comes back with its data)', true],
] as const)('Redis restarting %s', (_label, persistent) => {
  let redis: RedisServer;
  let server: TestApp;
  let client: TestClient;
  let epoch: string;

  beforeAll(async () => {
    redis = await RedisServer.start({ persistent });
    server = await createTestApp({ REDIS_URL: redis.url });
    client = await connect(server.url, '/orders', { token: staffToken() });
    epoch = (await client.subscribe('branch:b1')).epoch;
    await publish(server.url, orderUpdated('branch:b1', 1));
    await publish(server.url, orderUpdated('branch:b1', 2));
    await client.until((c) => c.envelopes().length === 2);
    await redis.kill9();
    await redis.launch();
  });
  afterAll(async () => {
    closeAllClients();
    await server.close();
    await redis.stop();
  });

  if (!persistent) {
    it('tells live clients EPOCH_CHANGED, then delivers the new epoch from seq 1', async () => {
      await client.until((c) => c.events.some(([event]) => event === 'channel:reset'), 10_000);
      const reset = client.events.find(([event]) => event === 'channel:reset')?.[1] as { epoch: string; reason: string };
      expect(reset).toMatchObject({ channel: 'branch:b1', reason: 'EPOCH_CHANGED' });
      expect(reset.epoch).not.toBe(epoch);

      // Right after the restart the publish may wait in the outage queue; it is delivered either way.
      expect((await publish(server.url, orderUpdated('branch:b1', 'after'))).status).toBe(202);
      await client.until((c) => c.envelopes().length === 3, 10_000);
      expect(client.envelopes()[2]).toMatchObject({ seq: 1, epoch: reset.epoch });
      expect(client.envelopes().map((e) => [e.epoch === epoch ? 'old' : 'new', e.seq])).toEqual([
        ['old', 1],
        ['old', 2],
        ['new', 1],
      ]);
    });

    it('refuses to replay an old position', async () => {
      const late = await connect(server.url, '/orders', { token: staffToken() });
      expect(await late.subscribe('branch:b1', { epoch, seq: 2 })).toMatchObject({ recovered: false, reason: 'EPOCH_CHANGED' });
    });
  } else {
    it('keeps the epoch and continues the sequence, with no reset', async () => {
      expect((await publish(server.url, orderUpdated('branch:b1', 3))).status).toBe(202);
      await client.until((c) => c.envelopes().length === 3, 10_000);
      expect(client.envelopes()[2]).toMatchObject({ seq: 3, epoch });
      expect(client.envelopes().map((e) => e.seq)).toEqual([1, 2, 3]);
      expect(client.events.some(([event]) => event === 'channel:reset')).toBe(false);
      const late = await connect(server.url, '/orders', { token: staffToken() });
      expect(await late.subscribe('branch:b1', { epoch, seq: 1 })).toMatchObject({ recovered: true, missed: 2 });
    });
  }
});
