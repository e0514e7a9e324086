import { RedisConnections } from '../../src/redis/redis-connections.service';
import { closeAllClients, connect, type TestClient } from '../utils/clients';
import { orderUpdated, publish } from '../utils/http';
import { sample, scrape } from '../utils/metrics';
import { RedisServer, withRedis } from '../utils/redis-server';
import { createTestApp, type TestApp } from '../utils/test-app';
import { staffToken } from '../utils/tokens';

/**
 * A subscription Redis no longer holds, while the node still follows the channel: what a client
 * library that forgets its subscriptions across a reconnect leaves behind. The node must notice
 * by itself (its subscription audit), subscribe again and deliver what was published meanwhile.
 */
describe('Subscription audit: Redis drops a subscription behind the node’s back', () => {
  let redis: RedisServer;
  let server: TestApp;
  let client: TestClient;

  beforeAll(async () => {
    redis = await RedisServer.start();
    server = await createTestApp({ REDIS_URL: redis.url });
    client = await connect(server.url, '/orders', { token: staffToken() });
    await client.subscribe('branch:b1');
    expect((await publish(server.url, orderUpdated('branch:b1', 1))).status).toBe(202);
    await client.until((c) => c.envelopes().length === 1);
  });
  afterAll(async () => {
    closeAllClients();
    await server.close();
    await redis.stop();
  });

  it('re-subscribes within its audit period and delivers the events published meanwhile, in order, with no reset', async () => {
    const live = async () =>
      withRedis(redis.port, async (admin) => [
        ...((await admin.call('PUBSUB', 'SHARDCHANNELS')) as string[]),
        ...((await admin.call('PUBSUB', 'CHANNELS')) as string[]),
      ]);
    const channels = (await live()).filter((channel) => channel.includes('branch:b1'));
    expect(channels).toHaveLength(1);
    // Unsubscribed on the node's own subscriber connection: Redis and ioredis both forget it,
    // while the engine still follows the channel.
    const subscriber = server.app.get(RedisConnections).get('bus-subscriber');
    await subscriber.sunsubscribe(channels[0]);
    expect(await live()).not.toContain(channels[0]);

    for (const n of [2, 3]) expect((await publish(server.url, orderUpdated('branch:b1', n))).status).toBe(202);
    // The audit counts every 5 s and acts on a second count 1 s later; nothing else would bring these two.
    await client.until((c) => c.envelopes().length === 3, 15_000);
    expect(client.envelopes().map((envelope) => envelope.seq)).toEqual([1, 2, 3]);
    expect(client.events.some(([event]) => event === 'channel:reset')).toBe(false);
    expect(await live()).toContain(channels[0]);
    expect(sample(await scrape(`${server.url}/metrics`), 'switchboard_bus_subscription_repairs_total')).toBe(1);

    // Live again: the next event arrives without waiting for an audit.
    expect((await publish(server.url, orderUpdated('branch:b1', 4))).status).toBe(202);
    await client.until((c) => c.envelopes().length === 4, 3000);
  }, 30_000);
});
