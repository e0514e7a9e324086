import { Cluster, Redis } from 'ioredis';
import { SNAPSHOT_LIMIT, type BusEngine, type EventDraft } from '../../src/bus/bus-engine';
import type { Envelope } from '../../src/bus/envelope';
import { MemoryEngine } from '../../src/bus/memory.engine';
import { RedisEngine } from '../../src/bus/redis.engine';
import { liveChannel } from '../../src/bus/redis-scripts';
import { ClusterTopology } from '../utils/redis-cluster';
import { RedisServer } from '../utils/redis-server';

const history = { size: 4, ttlSeconds: 60, positionTtlSeconds: 600 };
/** The subscriber's connection name, by which the subscription audit finds it in CLIENT LIST. */
const SUBSCRIBER_NAME = 'bus-engine-e2e:bus-subscriber';
let counter = 0;
const draft = (overrides: Partial<EventDraft> = {}): EventDraft => ({
  id: `id-${++counter}`,
  channel: 'branch:b1',
  event: 'order:updated',
  data: { n: counter },
  ts: 1_700_000_000_000,
  ...overrides,
});

/** One contract, two engines on three Redis modes: the memory engine must behave exactly like Redis, and Redis Cluster like one server. */
describe.each(['memory', 'redis', 'cluster'] as const)('BusEngine contract: %s', (kind) => {
  let redis: RedisServer | undefined;
  let cluster: ClusterTopology | undefined;
  let clients: (Redis | Cluster)[] = [];
  let engine: BusEngine;
  const arrivals: [string, Envelope[]][] = [];
  let arrived: (() => void) | undefined;
  let resumes = 0;

  beforeAll(async () => {
    if (kind === 'redis') {
      redis = await RedisServer.start();
      clients = [new Redis(redis.url), new Redis(redis.url, { connectionName: SUBSCRIBER_NAME })];
      engine = new RedisEngine({ command: clients[0], subscriber: clients[1], history, idempotencyTtlSeconds: 300 });
    } else if (kind === 'cluster') {
      cluster = await ClusterTopology.start();
      const seeds = cluster.servers.map((server) => ({ host: '127.0.0.1', port: server.port }));
      clients = [
        new Cluster(seeds, { scaleReads: 'master' }),
        new Cluster(seeds, { shardedSubscribers: true, redisOptions: { connectionName: SUBSCRIBER_NAME } }),
      ];
      engine = new RedisEngine({ command: clients[0], subscriber: clients[1], history, idempotencyTtlSeconds: 300 });
    } else {
      engine = new MemoryEngine({ history, idempotencyTtlSeconds: 300 });
    }
    engine.setListener({
      arrived: (key, events) => {
        arrivals.push([key, [...events]]);
        arrived?.();
      },
      resumed: () => {
        resumes += 1;
      },
      writable: () => undefined,
    });
  });
  afterAll(async () => {
    await engine.close();
    for (const client of clients) client.disconnect();
    await redis?.stop();
    await cluster?.stop();
  });

  const nextArrival = () => new Promise<void>((resolve) => (arrived = resolve));

  it('assigns consecutive seqs in one epoch and reads back what came after a seq', async () => {
    const out = await engine.publish('t/orders/branch:a', [draft(), draft(), draft()]);
    expect(out.map((o) => o.seq)).toEqual([1, 2, 3]);
    expect(new Set(out.map((o) => o.epoch)).size).toBe(1);
    expect(out.every((o) => !o.duplicate)).toBe(true);

    const read = await engine.read('t/orders/branch:a', 1);
    expect(read).toMatchObject({ epoch: out[0].epoch, seq: 3, complete: true });
    expect(read.events.map((e) => [e.seq, e.id, e.epoch])).toEqual([
      [2, out[1].id, out[0].epoch],
      [3, out[2].id, out[0].epoch],
    ]);
    expect(read.events[0]).toEqual({ ...draft({ id: out[1].id, data: read.events[0].data }), seq: 2, epoch: out[0].epoch });
  });

  it('creates an epoch on first read, and keeps it for the first publish', async () => {
    const empty = await engine.read('t/orders/branch:fresh', 0);
    expect(empty).toEqual({ epoch: expect.any(String), seq: 0, complete: true, events: [] });
    const [first] = await engine.publish('t/orders/branch:fresh', [draft()]);
    expect(first).toMatchObject({ seq: 1, epoch: empty.epoch });
  });

  it('reports an incomplete read when more events were missed than history holds', async () => {
    const key = 't/orders/branch:long';
    await engine.publish(
      key,
      Array.from({ length: 6 }, () => draft()),
    );
    expect(await engine.read(key, 1)).toMatchObject({ seq: 6, complete: false, events: [] });
    const within = await engine.read(key, 2);
    expect(within.complete).toBe(true);
    expect(within.events.map((e) => e.seq)).toEqual([3, 4, 5, 6]);
    expect(await engine.read(key, 6)).toMatchObject({ complete: true, events: [] });
  });

  it('answers a repeated idempotency key with the original outcome, without appending', async () => {
    const key = 't/orders/branch:idem';
    const [original] = await engine.publish(key, [draft({ idempotencyKey: 'k1' })]);
    const again = await engine.publish(key, [
      draft({ idempotencyKey: 'k1' }),
      draft({ idempotencyKey: 'k2' }),
      draft({ idempotencyKey: 'k1' }),
    ]);
    expect(again.map((o) => [o.duplicate, o.seq, o.id])).toEqual([
      [true, 1, original.id],
      [false, 2, again[1].id],
      [true, 1, original.id],
    ]);
    expect((await engine.read(key, 0)).seq).toBe(2);
  });

  it('publishes several channels in one call: per channel seqs, idempotency and one arrival each', async () => {
    const [a, b, c] = ['t/orders/branch:many-a', 't/orders/branch:many-b', 't/orders/branch:many-c'];
    await engine.publish(b, [draft(), draft({ idempotencyKey: 'kb' })]);
    await engine.watch(a);
    await engine.watch(c);
    const both = new Promise<void>((resolve) => {
      arrived = () => {
        if (arrivals.some(([k]) => k === a) && arrivals.some(([k]) => k === c)) resolve();
      };
    });
    const out = await engine.publishMany([
      { key: a, drafts: [draft({ idempotencyKey: 'ka' }), draft(), draft({ idempotencyKey: 'ka' })] },
      { key: b, drafts: [draft({ idempotencyKey: 'kb' }), draft({ idempotencyKey: 'kb2' })] },
      { key: c, drafts: [draft({ snapshotKey: 'e1' })] },
    ]);
    // Idempotency keys of the second channel follow the first's in the script's KEYS: each must hit its own channel.
    expect(out.map((own) => own.map((o) => [o.duplicate, o.seq]))).toEqual([
      [
        [false, 1],
        [false, 2],
        [true, 1],
      ],
      [
        [true, 2],
        [false, 3],
      ],
      [[false, 1]],
    ]);
    expect(out[0][2].id).toBe(out[0][0].id);
    expect(new Set(out.flat().map((o) => o.epoch)).size).toBe(3);
    await both;
    expect(arrivals.filter(([k]) => k === a).map(([, events]) => events.map((e) => e.seq))).toEqual([[1, 2]]);
    expect(arrivals.filter(([k]) => k === c).map(([, events]) => events.map((e) => e.seq))).toEqual([[1]]);
    expect((await engine.read(b, 0)).events.map((e) => e.id)).toEqual([expect.any(String), out[1][0].id, out[1][1].id]);
    expect((await engine.read(c, 0, { snapshot: true })).snapshot?.map((e) => e.id)).toEqual([out[2][0].id]);
    await engine.unwatch(a);
    await engine.unwatch(c);
  });

  it('hands a watched channel’s publish to the listener as one arrival, and stops after unwatch', async () => {
    const key = 't/orders/branch:live';
    await engine.watch(key);
    const waiting = nextArrival();
    await engine.publish(key, [draft(), draft()]);
    await waiting;
    const mine = arrivals.filter(([k]) => k === key);
    expect(mine).toHaveLength(1);
    expect(mine[0][1].map((e) => e.seq)).toEqual([1, 2]);

    await engine.unwatch(key);
    if (kind !== 'memory') {
      // Another watched channel's arrival proves the unwatched one would have come first.
      await engine.watch('t/orders/branch:probe');
      const probe = nextArrival();
      await engine.publish(key, [draft()]);
      await engine.publish('t/orders/branch:probe', [draft()]);
      await probe;
      expect(arrivals.filter(([k]) => k === key)).toHaveLength(1);
    }
  });

  it('publishes one request over many channels (slots, on Cluster): each channel gets its own consecutive seqs, and a retry is a duplicate', async () => {
    const keys = Array.from({ length: 8 }, (_, i) => `t/orders/branch:many-${i}`);
    const groups = keys.map((key) => ({ key, drafts: [draft({ idempotencyKey: `k-${key}` }), draft()] }));
    const first = await engine.publishMany(groups);
    expect(first.map((outcomes) => outcomes.map((o) => [o.seq, o.duplicate]))).toEqual(
      keys.map(() => [
        [1, false],
        [2, false],
      ]),
    );
    const again = await engine.publishMany(groups.map(({ key, drafts }) => ({ key, drafts: [drafts[0]] })));
    expect(again.map(([o]) => [o.seq, o.duplicate])).toEqual(keys.map(() => [1, true]));
    for (const key of keys) expect((await engine.read(key, 0)).events.map((e) => e.seq)).toEqual([1, 2]);
  });

  it('honours a retention override (used by the health probe)', async () => {
    const key = 't/orders/branch:short';
    await engine.publish(key, [draft(), draft(), draft()], { size: 1, ttlSeconds: 30 });
    // Approximate trimming may keep more in Redis, but what is returned never exceeds history.size.
    const read = await engine.read(key, 2);
    expect(read.complete).toBe(true);
    expect(read.events.map((e) => e.seq)).toEqual([3]);
  });

  it('keeps the latest event per snapshot key, newest first, and only when asked', async () => {
    const key = 't/sync/company:snap';
    await engine.publish(key, [
      draft({ snapshotKey: 'e1', data: 'a' }),
      draft({ snapshotKey: 'e2', data: 'b' }),
      draft({ data: 'no key' }),
    ]);
    await engine.publish(key, [draft({ snapshotKey: 'e1', data: 'c' })]);
    const read = await engine.read(key, Number.MAX_SAFE_INTEGER, { snapshot: true });
    expect(read.seq).toBe(4);
    expect(read.snapshot?.map((e) => [e.seq, e.data])).toEqual([
      [4, 'c'],
      [2, 'b'],
    ]);
    expect((await engine.read(key, 0)).snapshot).toBeUndefined();
  });

  it('keeps at most SNAPSHOT_LIMIT keys, dropping the least recently updated', async () => {
    const key = 't/sync/company:big';
    await engine.publish(
      key,
      Array.from({ length: SNAPSHOT_LIMIT + 2 }, (_, i) => draft({ snapshotKey: `k${i}` })),
    );
    const read = await engine.read(key, Number.MAX_SAFE_INTEGER, { snapshot: true });
    expect(read.snapshot).toHaveLength(SNAPSHOT_LIMIT);
    expect(read.snapshot?.[0].seq).toBe(SNAPSHOT_LIMIT + 2);
    expect(read.snapshot?.at(-1)?.seq).toBe(3);
  });

  if (kind !== 'memory') {
    it('finds a subscription Redis no longer holds, makes it again and asks for a catch-up (subscription audit)', async () => {
      const redisEngine = engine as RedisEngine;
      const keys = ['t/orders/branch:audit-a', 't/orders/branch:audit-b', 't/orders/branch:audit-c'];
      for (const key of keys) await engine.watch(key);
      // On Cluster a new shard subscriber counts as a reconnect, whose re-subscribes are left
      // alone for a second: poll (bounded) until the audit counts.
      const counted = async (): Promise<number | undefined> => {
        for (let attempt = 0; attempt < 50; attempt++) {
          const result = await redisEngine.auditSubscriptions();
          if (result !== undefined) return result;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        return undefined;
      };
      expect(await counted()).toBe(0);
      // Gone on Redis and in ioredis (as a forgetful reconnect leaves it), still followed by the engine.
      await clients[1].sunsubscribe(liveChannel(keys[1]));
      const before = resumes;
      // A first short count only raises suspicion (a reconnect may be re-subscribing); the second acts.
      expect(await redisEngine.auditSubscriptions()).toBeUndefined();
      expect(resumes).toBe(before);
      expect(await redisEngine.auditSubscriptions()).toBe(1);
      expect(resumes).toBe(before + 1);
      const waiting = nextArrival();
      await engine.publish(keys[1], [draft()]);
      await waiting;
      expect(arrivals.at(-1)?.[0]).toBe(keys[1]);
      expect(await redisEngine.auditSubscriptions()).toBe(0);
      for (const key of keys) await engine.unwatch(key);
    });

    it('starts a new epoch with an empty snapshot when the channel meta is lost', async () => {
      const key = 't/sync/company:lost';
      await engine.publish(key, [draft({ snapshotKey: 'e1' })]);
      await clients[0].del(`sb:{${key}}:m`);
      const [next] = await engine.publish(key, [draft({ snapshotKey: 'e2' })]);
      expect(next.seq).toBe(1);
      const read = await engine.read(key, Number.MAX_SAFE_INTEGER, { snapshot: true });
      expect(read.snapshot?.map((e) => e.seq)).toEqual([1]);
    });

    it('sets history and position TTLs in Redis on every publish', async () => {
      const raw = clients[0];
      await engine.publish('t/orders/branch:ttl', [draft()]);
      const logTtl = await raw.ttl('sb:{t/orders/branch:ttl}:l');
      const metaTtl = await raw.ttl('sb:{t/orders/branch:ttl}:m');
      expect(logTtl).toBeGreaterThan(55);
      expect(logTtl).toBeLessThanOrEqual(60);
      expect(metaTtl).toBeGreaterThan(595);
      expect(metaTtl).toBeLessThanOrEqual(600);
    });

    it('reports HISTORY_EXPIRED (incomplete) when the history expired but the position did not', async () => {
      const key = 't/orders/branch:expired';
      await engine.publish(key, [draft(), draft()]);
      await clients[0].del(`sb:{${key}}:l`);
      expect(await engine.read(key, 0)).toMatchObject({ seq: 2, complete: false });
      expect(await engine.read(key, 2)).toMatchObject({ seq: 2, complete: true });
    });
  }
});
