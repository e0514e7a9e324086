import { Redis } from 'ioredis';
import type { Namespace } from 'socket.io';
import { SocketDirectory } from '../../src/realtime/socket-directory';
import { closeAllClients, connect, type TestClient } from '../utils/clients';
import { orderUpdated, publish } from '../utils/http';
import { RedisServer } from '../utils/redis-server';
import { createTestApp, type TestApp } from '../utils/test-app';
import { staffToken } from '../utils/tokens';

/** Two app instances on one private Redis, as two nodes of a cluster. */
describe('Redis engine across two instances', () => {
  let redis: RedisServer;
  let a: TestApp;
  let b: TestApp;
  let raw: Redis;

  beforeAll(async () => {
    redis = await RedisServer.start();
    a = await createTestApp({ REDIS_URL: redis.url, NODE_ID: 'node-a' });
    b = await createTestApp({ REDIS_URL: redis.url, NODE_ID: 'node-b' });
    raw = new Redis(redis.url);
  });
  afterEach(() => closeAllClients());
  afterAll(async () => {
    raw.disconnect();
    await a.close();
    await b.close();
    await redis.stop();
  });

  const on = (app: TestApp, branch: string): Promise<TestClient> => connect(app.url, '/orders', { token: staffToken('acme', [branch]) });
  const seqs = (client: TestClient, channel: string) => client.envelopes(channel).map((e) => e.seq);

  it('delivers each instance’s publishes to clients on both, with one sequence', async () => {
    const onA = await on(a, 'c1');
    const onB = await on(b, 'c1');
    expect(onA.session.node).toBe('node-a');
    expect(onB.session.node).toBe('node-b');
    await onA.subscribe('branch:c1');
    await onB.subscribe('branch:c1');

    await publish(a.url, orderUpdated('branch:c1', 'from-a'));
    await publish(b.url, orderUpdated('branch:c1', 'from-b'));
    await publish(a.url, orderUpdated('branch:c1', 'from-a-again'));

    for (const client of [onA, onB]) {
      await client.until((c) => c.envelopes().length === 3);
      expect(seqs(client, 'branch:c1')).toEqual([1, 2, 3]);
      expect(client.envelopes().map((e) => (e.data as { orderId: string }).orderId)).toEqual(['from-a', 'from-b', 'from-a-again']);
    }
  });

  it('replays on one instance what a client saw on the other', async () => {
    const onA = await on(a, 'c2');
    const ack = await onA.subscribe('branch:c2');
    await publish(b.url, orderUpdated('branch:c2', 1));
    await onA.until((c) => c.envelopes().length === 1);
    onA.close();
    await publish(b.url, orderUpdated('branch:c2', 2));
    await publish(a.url, orderUpdated('branch:c2', 3));

    const onB = await on(b, 'c2');
    const resumed = await onB.subscribe('branch:c2', { epoch: ack.epoch, seq: 1 });
    expect(resumed).toMatchObject({ recovered: true, missed: 2, seq: 3 });
    expect(seqs(onB, 'branch:c2')).toEqual([2, 3]);
  });

  it('refills a pub/sub gap from the stream before delivering later events', async () => {
    const client = await on(a, 'g1');
    const ack = await client.subscribe('branch:g1');
    await publish(b.url, orderUpdated('branch:g1', 1));
    await client.until((c) => c.envelopes().length === 1);

    // Write seq 2 the way the publish script does, but without publishing it: a lost pub/sub message.
    const key = 'acme/orders/branch:g1';
    const lost = {
      id: 'lost-2',
      channel: 'branch:g1',
      event: 'order:updated',
      data: { orderId: 'lost' },
      ts: Date.now(),
      seq: 2,
      epoch: ack.epoch,
    };
    await raw.xadd(`sb:{${key}}:l`, '2-0', 'e', JSON.stringify(lost));
    await raw.hset(`sb:{${key}}:m`, 's', 2);

    await publish(b.url, orderUpdated('branch:g1', 3));
    await client.until((c) => c.envelopes().length === 3);
    expect(seqs(client, 'branch:g1')).toEqual([1, 2, 3]);
    expect(client.envelopes()[1].id).toBe('lost-2');
  });

  it('catches up after the pub/sub connection drops while events are published', async () => {
    const client = await on(a, 'k1');
    await client.subscribe('branch:k1');
    await publish(b.url, orderUpdated('branch:k1', 1));
    await client.until((c) => c.envelopes().length === 1);

    // Drop every subscriber connection; publish while node A reconnects, and never after it.
    await raw.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    for (let i = 2; i <= 4; i++) await publish(b.url, orderUpdated('branch:k1', i));

    await client.until((c) => c.envelopes().length >= 4, 8000);
    expect(seqs(client, 'branch:k1')).toEqual([1, 2, 3, 4]);
  });

  it('gives every channel a new epoch after FLUSHALL: live clients get channel:reset, old positions EPOCH_CHANGED', async () => {
    const onA = await on(a, 'f1');
    const onB = await on(b, 'f1');
    const before = await onA.subscribe('branch:f1');
    await onB.subscribe('branch:f1');
    await publish(a.url, orderUpdated('branch:f1', 1));
    await onB.until((c) => c.envelopes().length === 1);

    await raw.flushall();
    const after = await publish(a.url, orderUpdated('branch:f1', 'after-flush'));
    expect(after.body.epoch).not.toBe(before.epoch);
    expect(after.body.seq).toBe(1);

    for (const client of [onA, onB]) {
      await client.until((c) => c.envelopes().length === 2);
      const resetIndex = client.events.findIndex(([event]) => event === 'channel:reset');
      const eventIndex = client.events.findIndex(([, p]) => (p as { data?: { orderId?: string } })?.data?.orderId === 'after-flush');
      expect(resetIndex).toBeGreaterThanOrEqual(0);
      expect(resetIndex).toBeLessThan(eventIndex);
      expect(client.events[resetIndex][1]).toEqual({ channel: 'branch:f1', epoch: after.body.epoch, seq: 0, reason: 'EPOCH_CHANGED' });
    }

    const late = await on(b, 'f1');
    expect(await late.subscribe('branch:f1', { epoch: before.epoch, seq: 1 })).toMatchObject({
      recovered: false,
      reason: 'EPOCH_CHANGED',
      epoch: after.body.epoch,
    });
  });

  it('installs the Socket.IO Redis adapter for cluster operations', async () => {
    const client = await on(a, 'ad');
    const nsp = a.app.get(SocketDirectory).namespace('orders') as Namespace;
    expect(nsp.adapter.constructor.name).toBe('RedisAdapter');
    // A cluster-wide query through the adapter sees sockets of both nodes.
    await on(b, 'ad');
    // Both nodes' adapters must be subscribed (an earlier test kills pub/sub connections).
    const adapter = nsp.adapter as unknown as { serverCount(): Promise<number> };
    for (let i = 0; i < 50 && (await adapter.serverCount()) < 2; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    const sockets = await nsp.fetchSockets();
    expect(sockets.map((s) => s.id)).toContain(client.socket.id);
    expect(sockets.length).toBeGreaterThanOrEqual(2);
  });

  it('keeps channel keys scoped: a tenant prefix in Redis is per company and namespace', async () => {
    await publish(a.url, orderUpdated('branch:s1', 1));
    const keys = await raw.keys('sb:*branch:s1*');
    expect(keys.sort()).toEqual(['sb:{acme/orders/branch:s1}:l', 'sb:{acme/orders/branch:s1}:m']);
  });
});
