import { SNAPSHOT_LIMIT } from './bus-engine';
import { MemoryEngine } from './memory.engine';

describe('MemoryEngine retention', () => {
  let now = 1_000_000;
  const engine = new MemoryEngine({
    history: { size: 3, ttlSeconds: 10, positionTtlSeconds: 100 },
    idempotencyTtlSeconds: 5,
    now: () => now,
  });
  afterAll(() => engine.close());
  const draft = (id: string, idempotencyKey?: string) => ({ id, channel: 'branch:b1', event: 'x:y', data: {}, ts: now, idempotencyKey });

  it('keeps the last HISTORY_SIZE events in its ring', async () => {
    await engine.publish(
      'k1',
      ['a', 'b', 'c', 'd', 'e'].map((id) => draft(id)),
    );
    const read = await engine.read('k1', 2);
    expect(read.events.map((e) => e.id)).toEqual(['c', 'd', 'e']);
    expect((await engine.read('k1', 1)).complete).toBe(false);
  });

  it('replays the JSON of what it delivered live, as the Redis engine does', async () => {
    const delivered: unknown[] = [];
    const quiet = { resumed: () => undefined, writable: () => undefined };
    engine.setListener({ ...quiet, arrived: (_key, events) => delivered.push(...events) });
    const data = { when: new Date(0), skipped: undefined, nested: { list: [1, 'two'] } };
    await engine.publish('k-json', [{ ...draft('j1'), data, correlationId: 'c-1' }]);
    const [replayed] = (await engine.read('k-json', 0)).events;
    expect(replayed).toEqual(JSON.parse(JSON.stringify(delivered[0])));
    expect(replayed.data).toEqual({ when: '1970-01-01T00:00:00.000Z', nested: { list: [1, 'two'] } });
    engine.setListener({ ...quiet, arrived: () => undefined });
  });

  it('refuses an event whose data JSON cannot hold, without a hole in the channel', async () => {
    await engine.publish('k-bigint', [draft('ok-1')]);
    await expect(engine.publish('k-bigint', [{ ...draft('bad'), data: { n: 1n } }])).rejects.toThrow(/BigInt/);
    const [next] = await engine.publish('k-bigint', [draft('ok-2')]);
    expect(next.seq).toBe(2);
    expect((await engine.read('k-bigint', 0)).events.map((event) => [event.id, event.seq])).toEqual([
      ['ok-1', 1],
      ['ok-2', 2],
    ]);
  });

  it('drops history after HISTORY_TTL_SECONDS without publishes, but keeps the position', async () => {
    const [first] = await engine.publish('k2', [draft('a')]);
    now += 11_000;
    expect(await engine.read('k2', 0)).toEqual({ epoch: first.epoch, seq: 1, complete: false, events: [] });
    expect(await engine.read('k2', 1)).toMatchObject({ epoch: first.epoch, complete: true });
  });

  it('forgets the position after POSITION_TTL_SECONDS: the channel comes back with a new epoch', async () => {
    const [first] = await engine.publish('k3', [draft('a')]);
    now += 101_000;
    const [second] = await engine.publish('k3', [draft('b')]);
    expect(second.seq).toBe(1);
    expect(second.epoch).not.toBe(first.epoch);
  });

  it('remembers idempotency keys for IDEMPOTENCY_TTL_SECONDS only', async () => {
    const [first] = await engine.publish('k4', [draft('a', 'same')]);
    expect((await engine.publish('k4', [draft('b', 'same')]))[0]).toEqual({ ...first, duplicate: true });
    now += 6_000;
    expect((await engine.publish('k4', [draft('c', 'same')]))[0]).toMatchObject({ duplicate: false, seq: 2 });
  });
});

describe('MemoryEngine memory follows events, not subscriptions', () => {
  let now = 1_000_000;
  const make = (channelsPerCompany = 0) =>
    new MemoryEngine({
      history: { size: 1000, ttlSeconds: 10, positionTtlSeconds: 100 },
      idempotencyTtlSeconds: 5,
      channelsPerCompany,
      now: () => now,
    });
  const draft = (id: string) => ({ id, channel: 'branch:b1', event: 'x:y', data: {}, ts: now });

  it('stores nothing for a channel that is only read, and names the same epoch on every read', async () => {
    const engine = make();
    const reads = await Promise.all(Array.from({ length: 1000 }, (_, i) => engine.read(`acme/orders/user:u${i}`, 0)));
    expect(engine.stats.channels).toBe(0);
    const again = await engine.read('acme/orders/user:u7', 0);
    expect(again).toEqual({ epoch: reads[7].epoch, seq: 0, complete: true, events: [] });
    expect(new Set(reads.map((read) => read.epoch)).size).toBe(1000);
    await engine.close();
  });

  it('keeps the epoch a reader saw for the first publish, however long after the read', async () => {
    const engine = make();
    const { epoch } = await engine.read('acme/orders/branch:b1', 0);
    now += 1_000_000; // far past every TTL: nothing was stored, so nothing expired
    const [first] = await engine.publish('acme/orders/branch:b1', [draft('a')]);
    expect(first).toMatchObject({ epoch, seq: 1 });
    await engine.close();
  });

  it('grows history one slot per event, and frees it after HISTORY_TTL_SECONDS', async () => {
    const engine = make();
    await engine.publish('acme/orders/branch:b1', [draft('a'), draft('b'), draft('c')]);
    expect(engine.stats).toMatchObject({ channels: 1, events: 3 });
    now += 11_000;
    expect((await engine.read('acme/orders/branch:b1', 3)).complete).toBe(true);
    expect(engine.stats).toMatchObject({ channels: 1, events: 0 });
    await engine.close();
  });

  it('gives a channel that expired with events a new epoch, also to readers before its next publish', async () => {
    const engine = make();
    const [old] = await engine.publish('acme/orders/branch:b1', [draft('a')]);
    now += 101_000;
    const read = await engine.read('acme/orders/branch:b1', 1);
    expect(read.epoch).not.toBe(old.epoch);
    expect(read.seq).toBe(0);
    expect(engine.stats).toMatchObject({ channels: 0, retiredKeys: 1 });
    const [next] = await engine.publish('acme/orders/branch:b1', [draft('b')]);
    expect(next).toMatchObject({ epoch: read.epoch, seq: 1 });
    await engine.close();
  });

  it('retires the epoch of a never-published channel on resetEpoch', async () => {
    const engine = make();
    const { epoch } = await engine.read('acme/orders/branch:b9', 0);
    const fresh = await engine.resetEpoch('acme/orders/branch:b9', epoch);
    expect(fresh).not.toBe(epoch);
    expect((await engine.read('acme/orders/branch:b9', 0)).epoch).toBe(fresh);
    await engine.close();
  });

  it('bounds stored channels per company, all or nothing per call, leaving other companies and internal keys alone', async () => {
    const engine = make(2);
    await engine.publish('acme/orders/branch:b1', [draft('a')]);
    await engine.publish('acme/orders/branch:b2', [draft('b')]);
    await expect(engine.publish('acme/orders/branch:b3', [draft('c')])).rejects.toThrow('company acme already has 2 channels');
    expect(() => engine.admit(['acme/orders/branch:b1', 'acme/orders/branch:b3'])).toThrow('already has 2 channels');
    expect(() => engine.admit(['acme/orders/branch:b1', 'acme/orders/branch:b2'])).not.toThrow();
    await engine.publish('beta/orders/branch:b1', [draft('d')]);
    await engine.publish('!signals/test', [draft('e')]);
    expect(engine.stats.perCompany.get('acme')).toBe(2);
    now += 101_000; // expired channels stop counting
    await engine.publish('acme/orders/branch:b3', [draft('f')]);
    expect(engine.stats.perCompany.get('acme')).toBe(1);
    await engine.close();
  });

  it('publishes many channels in one call, each in order, and refuses the whole call past the bound', async () => {
    const engine = make(3);
    const out = await engine.publishMany([
      { key: 'acme/orders/branch:b1', drafts: [draft('a'), draft('b')] },
      { key: 'acme/orders/branch:b2', drafts: [draft('c')] },
    ]);
    expect(out.map((outcomes) => outcomes.map((outcome) => [outcome.id, outcome.seq]))).toEqual([
      [
        ['a', 1],
        ['b', 2],
      ],
      [['c', 1]],
    ]);
    // Two new channels where one is left: nothing of the call is written, not even the first.
    await expect(
      engine.publishMany([
        { key: 'acme/orders/branch:b3', drafts: [draft('d')] },
        { key: 'acme/orders/branch:b4', drafts: [draft('e')] },
      ]),
    ).rejects.toThrow('company acme already has 3 channels');
    expect(engine.stats).toMatchObject({ channels: 2, events: 3 });
    await engine.close();
  });
});

describe('MemoryEngine snapshot', () => {
  const now = 1_000_000;
  const engine = new MemoryEngine({
    history: { size: 100, ttlSeconds: 60, positionTtlSeconds: 600 },
    idempotencyTtlSeconds: 60,
    now: () => now,
  });
  afterAll(() => engine.close());
  const draft = (id: string, snapshotKey?: string) => ({
    id,
    channel: 'branch:b1',
    event: 'sync:status',
    data: { id },
    ts: now,
    snapshotKey,
  });

  it('keeps the latest event per key, newest update first, as of the seq it reports', async () => {
    await engine.publish('s1', [draft('e1-a', 'e1'), draft('e2-a', 'e2'), draft('no-key'), draft('e1-b', 'e1')]);
    const read = await engine.read('s1', 0, { snapshot: true });
    expect(read.seq).toBe(4);
    expect(read.snapshot?.map((event) => [event.id, event.seq])).toEqual([
      ['e1-b', 4],
      ['e2-a', 2],
    ]);
  });

  it('holds at most SNAPSHOT_LIMIT keys, dropping the one updated longest ago', async () => {
    const drafts = Array.from({ length: SNAPSHOT_LIMIT + 1 }, (_, index) => draft(`v${index}`, `k${index}`));
    await engine.publish('s-bounded', [drafts[0], drafts[1]]);
    await engine.publish('s-bounded', [draft('v0-again', 'k0'), ...drafts.slice(2)]);
    const keys = (await engine.read('s-bounded', 0, { snapshot: true })).snapshot?.map((event) => event.id);
    expect(keys).toHaveLength(SNAPSHOT_LIMIT);
    expect(keys).not.toContain('v1'); // k1 was updated longest ago; k0 was updated again
    expect(keys).toContain('v0-again');
  });

  it('has an empty snapshot for a channel with no event, and none unless asked', async () => {
    expect((await engine.read('s-empty', 0, { snapshot: true })).snapshot).toEqual([]);
    await engine.publish('s2', [draft('x', 'k')]);
    expect((await engine.read('s2', 0)).snapshot).toBeUndefined();
  });
});
