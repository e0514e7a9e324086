import { BUS_ENGINE, EventBus } from '../../src/bus/event-bus.service';
import type { MemoryEngine } from '../../src/bus/memory.engine';
import { closeAllClients, connect } from '../utils/clients';
import { eventually } from '../utils/eventually';
import { orderUpdated, publish, publishBatch } from '../utils/http';
import { RedisServer } from '../utils/redis-server';
import { createTestApp, type TestApp } from '../utils/test-app';
import { adminToken, serviceToken, signToken } from '../utils/tokens';

const CYCLES = 300;
/** Channels nobody follows any more are released after a 5 s linger; allow for it. */
const RELEASE_MS = 10_000;

/** Connects as an admin (who may follow any user:<id>), subscribes to `channel`, disconnects. */
async function touch(url: string, channel: string, token: string): Promise<void> {
  const client = await connect(url, '/orders', { token });
  expect((await client.subscribe(channel)).ok).toBe(true);
  client.close();
}

/**
 * Finding 2 of the hostile review: on the embedded engine a subscription to a channel nobody
 * publishes to used to allocate a full history ring and keep it for POSITION_TTL_SECONDS. Now the
 * engine stores channels from their first event only, positions of untouched channels stay valid,
 * and a company's stored channels are bounded. The node itself holds a channel only while
 * someone here follows it, on both engines.
 */
describe('channel memory follows events, not subscriptions', () => {
  describe('embedded engine', () => {
    let server: TestApp;
    beforeAll(async () => {
      server = await createTestApp({ POSITION_TTL_SECONDS: '1', HISTORY_TTL_SECONDS: '1', MEMORY_CHANNELS_PER_COMPANY: '3' });
    });
    afterAll(async () => {
      closeAllClients();
      await server.close();
    });
    const engine = () => server.app.get<MemoryEngine>(BUS_ENGINE);

    it(`stores nothing for ${CYCLES} connect-subscribe-disconnect cycles on distinct user channels, and the node lets them go`, async () => {
      const admin = adminToken('acme');
      for (let i = 0; i < CYCLES; i++) await touch(server.url, `user:churn-${i}`, admin);
      expect(engine().stats.perCompany.get('acme')).toBeUndefined();
      await eventually('every followed channel released', () => server.app.get(EventBus).localChannels === 0, RELEASE_MS);
    });

    it('keeps {epoch, seq: 0} of a channel nobody published to valid, past every TTL', async () => {
      const client = await connect(server.url, '/orders', { token: adminToken('acme') });
      const first = await client.subscribe('user:quiet');
      client.close();
      // Both TTLs (1 s) pass: a stored empty channel would have expired and come back in a new epoch.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const again = await connect(server.url, '/orders', { token: adminToken('acme') });
      const back = await again.subscribe('user:quiet', { epoch: first.epoch, seq: 0 });
      expect(back).toMatchObject({ ok: true, epoch: first.epoch, seq: 0, recovered: true, missed: 0 });
      again.close();
    });

    it('still moves a channel whose events expired to a new epoch (EPOCH_CHANGED)', async () => {
      const published = await publish(server.url, orderUpdated('user:loud', 'o-1'));
      expect(published.status).toBe(202);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const client = await connect(server.url, '/orders', { token: adminToken('acme') });
      const back = await client.subscribe('user:loud', { epoch: published.body.epoch, seq: 1 });
      expect(back).toMatchObject({ ok: true, recovered: false, reason: 'EPOCH_CHANGED' });
      expect(back.epoch).not.toBe(published.body.epoch);
    });

    it('bounds the channels a company stores: one more is LIMIT_EXCEEDED, all or nothing, other tenants unaffected', async () => {
      // A fresh company: the tests above stored channels of acme that may not have expired yet.
      const token = serviceToken('bounded');
      for (const branch of ['b1', 'b2', 'b3'])
        expect((await publish(server.url, orderUpdated(`branch:${branch}`, 'o'), token)).status).toBe(202);
      const refused = await publish(server.url, orderUpdated('branch:b4', 'o'), token);
      expect(refused.status).toBe(429);
      expect(refused.body.error).toMatchObject({ code: 'LIMIT_EXCEEDED', details: { limit: 3 } });
      // A batch that would add a channel publishes nothing, not even to the channels that exist.
      const batch = await publishBatch(server.url, [orderUpdated('branch:b1', 'o-2'), orderUpdated('branch:b5', 'o')], token);
      expect(batch.status).toBe(429);
      expect((await publish(server.url, orderUpdated('branch:b1', 'o-3'), token)).body.seq).toBe(2);
      expect((await publish(server.url, orderUpdated('branch:b4', 'o'), serviceToken('other'))).status).toBe(202);
      expect(engine().stats.perCompany.get('bounded')).toBe(3);
    });
  });

  describe('Redis engine', () => {
    let redis: RedisServer;
    let server: TestApp;
    beforeAll(async () => {
      redis = await RedisServer.start();
      server = await createTestApp({ REDIS_URL: redis.url });
    });
    afterAll(async () => {
      closeAllClients();
      await server.close();
      await redis.stop();
    });

    it(`keeps the node flat: after ${CYCLES} cycles on distinct user channels it follows none of them`, async () => {
      const admin = signToken({ sub: 'admin-1', companyId: 'acme', branchIds: ['*'], roles: ['admin'] });
      for (let i = 0; i < CYCLES; i++) await touch(server.url, `user:churn-${i}`, admin);
      await eventually('every followed channel released', () => server.app.get(EventBus).localChannels === 0, RELEASE_MS);
    });
  });
});
