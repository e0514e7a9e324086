import { Cluster, Redis } from 'ioredis';
import { MemoryWebhookQueue } from '../../src/webhooks/memory-webhook.queue';
import { RedisWebhookQueue } from '../../src/webhooks/redis-webhook.queue';
import type { WebhookDelivery } from '../../src/webhooks/webhook.model';
import type { WebhookQueue } from '../../src/webhooks/webhook-queue';
import { startRedis, type RedisBackend } from '../utils/redis-backend';

const delivery = (eventId: string, url = 'http://127.0.0.1:1/hooks', companyId = 'acme'): WebhookDelivery => ({
  id: `${eventId}.${Buffer.from(url).toString('base64url').slice(-8)}`,
  eventId,
  type: 'print:job-failed',
  companyId,
  url,
  body: JSON.stringify({ id: eventId }),
});

/** The queue's contract, on both engines: the sender's at-least-once and the dead-letter list rest on it. */
describe.each(['memory', 'redis', 'cluster'] as const)('webhook queue on the %s engine', (engine) => {
  let redis: RedisBackend | undefined;
  let client: Redis | Cluster | undefined;
  let queue: WebhookQueue;

  beforeAll(async () => {
    if (engine === 'memory') return;
    redis = await startRedis(engine);
    client =
      engine === 'cluster'
        ? new Cluster(
            redis.env.REDIS_CLUSTER_NODES.split(',').map((node) => ({ host: node.split(':')[0], port: Number(node.split(':')[1]) })),
          )
        : new Redis(redis.env.REDIS_URL);
  });
  beforeEach(async () => {
    // Every webhook key is in the {wh} slot: one script on its master clears them, in both modes.
    await client?.eval("for _, key in ipairs(redis.call('KEYS', 'sb:{wh}:*')) do redis.call('DEL', key) end", 1, 'sb:{wh}:jobs');
    queue = client ? new RedisWebhookQueue(client, 60_000) : new MemoryWebhookQueue(60_000);
  });
  afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
  });

  it('queues an event once per id, one delivery per URL', async () => {
    const both = [delivery('evt_a', 'http://127.0.0.1:1/one'), delivery('evt_a', 'http://127.0.0.1:1/two')];
    expect(await queue.enqueue('evt_a', both, 1000)).toBe(true);
    expect(await queue.enqueue('evt_a', both, 1001)).toBe(false);
    expect(await queue.depth()).toBe(2);
    const claimed = await queue.claim(1000, 5000, 10);
    expect(claimed.map((item) => item.url).sort()).toEqual(['http://127.0.0.1:1/one', 'http://127.0.0.1:1/two']);
    // Completed deliveries are forgotten, but the id is still remembered: raised again, it is not sent again.
    for (const item of claimed) await queue.complete(item.id);
    expect(await queue.enqueue('evt_a', both, 2000)).toBe(false);
    expect(await queue.depth()).toBe(0);
  });

  it('hides a claimed delivery until its lease ends, then hands it out again with the next attempt number', async () => {
    await queue.enqueue('evt_b', [delivery('evt_b')], 1000);
    expect((await queue.claim(1000, 7000, 10)).map((item) => item.attempt)).toEqual([1]);
    expect(await queue.claim(6999, 20_000, 10)).toEqual([]);
    const again = await queue.claim(7000, 20_000, 10);
    expect(again).toEqual([{ ...delivery('evt_b'), attempt: 2 }]);
  });

  it('reschedules a failed delivery, but never revives one another sender completed', async () => {
    await queue.enqueue('evt_c', [delivery('evt_c')], 1000);
    const [first] = await queue.claim(1000, 9000, 1);
    await queue.retry(first.id, 3000);
    expect(await queue.claim(2999, 9000, 1)).toEqual([]);
    const [second] = await queue.claim(3000, 9000, 1);
    expect(second.attempt).toBe(2);
    await queue.complete(second.id);
    await queue.retry(second.id, 4000);
    expect(await queue.claim(10_000, 20_000, 10)).toEqual([]);
    expect(await queue.depth()).toBe(0);
  });

  it('claims at most `limit`, oldest due first', async () => {
    for (const [index, id] of ['evt_1', 'evt_2', 'evt_3'].entries()) await queue.enqueue(id, [delivery(id)], 1000 + index);
    expect((await queue.claim(5000, 9000, 2)).map((item) => item.eventId)).toEqual(['evt_1', 'evt_2']);
    expect((await queue.claim(5000, 9000, 2)).map((item) => item.eventId)).toEqual(['evt_3']);
  });

  it('keeps the newest dead letters up to the bound, and replays one with its attempts reset', async () => {
    for (const id of ['evt_d1', 'evt_d2', 'evt_d3']) {
      await queue.enqueue(id, [delivery(id)], 1000);
      const [claimed] = await queue.claim(1000, 2000, 1);
      const { attempt, ...rest } = claimed;
      await queue.deadLetter({ ...rest, attempts: attempt, lastError: 'HTTP 503', failedAt: Number(id.slice(-1)) * 1000 }, 2);
    }
    const letters = await queue.deadLetters(10);
    expect(letters.map((letter) => letter.eventId)).toEqual(['evt_d3', 'evt_d2']);
    expect(letters[0]).toMatchObject({ attempts: 1, lastError: 'HTTP 503', companyId: 'acme' });
    expect(await queue.depth()).toBe(0);

    expect(await queue.replay(letters[1].id, 5000)).toBe(true);
    expect(await queue.replay(letters[1].id, 5000)).toBe(false);
    expect(await queue.replay('evt_unknown.abcdefgh', 5000)).toBe(false);
    expect((await queue.deadLetters(10)).map((letter) => letter.eventId)).toEqual(['evt_d3']);
    // Exactly the delivery, as first queued: no dead-letter fields ride along into the send.
    expect(await queue.claim(5000, 9000, 10)).toEqual([{ ...delivery('evt_d2'), attempt: 1 }]);
  });

  it('does not dead-letter a delivery another sender completed meanwhile', async () => {
    await queue.enqueue('evt_e', [delivery('evt_e')], 1000);
    const [claimed] = await queue.claim(1000, 2000, 1);
    await queue.complete(claimed.id);
    const { attempt, ...rest } = claimed;
    await queue.deadLetter({ ...rest, attempts: attempt, lastError: 'timeout', failedAt: 3000 }, 10);
    expect(await queue.deadLetters(10)).toEqual([]);
  });

  if (engine !== 'memory') {
    it('refuses to queue during a Sentinel failover, so the event waits in the process instead', async () => {
      const held = new RedisWebhookQueue(client!, 60_000, () => true);
      await expect(held.enqueue('evt_f', [delivery('evt_f')], 1000)).rejects.toThrow(/failover/);
      // Nothing was written, not even the dedupe marker: queued after the failover, it is not a duplicate.
      expect(await queue.enqueue('evt_f', [delivery('evt_f')], 1000)).toBe(true);
    });
  }
});
