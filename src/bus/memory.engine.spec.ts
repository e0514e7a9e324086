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
