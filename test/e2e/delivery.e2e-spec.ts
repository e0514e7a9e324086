import { closeAllClients, connect, type TestClient } from '../utils/clients';
import { orderUpdated, publish, publishBatch } from '../utils/http';
import { startRedis, type RedisBackend } from '../utils/redis-backend';
import { createTestApp, type TestApp } from '../utils/test-app';
import { staffToken } from '../utils/tokens';

/** The same delivery and replay contract, on both engines. */
describe.each(['memory', 'redis', 'cluster'] as const)('delivery and replay on the %s engine', (engine) => {
  let redis: RedisBackend | undefined;
  let server: TestApp;

  beforeAll(async () => {
    if (engine !== 'memory') redis = await startRedis(engine);
    server = await createTestApp({ ...redis?.env, HISTORY_SIZE: '5' });
  });
  afterEach(() => closeAllClients());
  afterAll(async () => {
    await server?.close();
    await redis?.stop();
  });

  const dashboard = (branch = 'b1'): Promise<TestClient> => connect(server.url, '/orders', { token: staffToken('acme', [branch]) });

  it('delivers a published event with its envelope, and answers the publish with its position', async () => {
    const client = await dashboard();
    const ack = await client.subscribe('branch:b1');
    expect(ack).toEqual({ ok: true, channel: 'branch:b1', epoch: expect.any(String), seq: 0 });

    const result = await publish(server.url, { ...orderUpdated('branch:b1', 'o-1', { total: 12 }), correlationId: 'req-7' });
    expect(result.status).toBe(202);
    expect(result.body).toEqual({ id: expect.any(String), channel: 'branch:b1', seq: 1, epoch: ack.epoch });

    await client.until((c) => c.envelopes().length === 1);
    const [name, envelope] = client.events.find(([event]) => event === 'order:updated') ?? [];
    expect(name).toBe('order:updated');
    expect(envelope).toEqual({
      id: result.body.id,
      channel: 'branch:b1',
      seq: 1,
      epoch: ack.epoch,
      event: 'order:updated',
      data: { orderId: 'o-1', total: 12 },
      ts: expect.any(Number),
      correlationId: 'req-7',
    });
  });

  it('numbers events per channel, each channel from 1, increasing by exactly 1', async () => {
    const client = await dashboard('b2');
    await client.subscribe('branch:b2');
    await client.subscribe('company:acme');
    for (let i = 0; i < 4; i++) await publish(server.url, orderUpdated('branch:b2', i));
    const company = await publish(server.url, orderUpdated('company:acme', 'c'));
    await client.until((c) => c.envelopes().length === 5);
    expect(client.envelopes('branch:b2').map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(client.envelopes('company:acme').map((e) => e.seq)).toEqual([company.body.seq]);
    expect(new Set(client.envelopes().map((e) => e.id)).size).toBe(5);
  });

  it('sends the events of one batch to one channel as a single `batch` event, in seq order', async () => {
    const client = await dashboard('b3');
    await client.subscribe('branch:b3');
    await client.subscribe('company:acme');
    const before = client.events.length;
    const result = await publishBatch(server.url, [
      orderUpdated('branch:b3', 1),
      orderUpdated('company:acme', 'x'),
      orderUpdated('branch:b3', 2),
      orderUpdated('branch:b3', 3),
    ]);
    expect(result.status).toBe(202);
    const seqs = result.body.results.map((r) => r.seq);
    expect(seqs.filter((_, i) => i !== 1)).toEqual([1, 2, 3]);

    await client.until((c) => c.envelopes().length >= 4);
    const received = client.events.slice(before);
    const batches = received.filter(([event]) => event === 'batch');
    expect(batches).toHaveLength(1);
    expect(batches[0][1]).toEqual({
      channel: 'branch:b3',
      epoch: expect.any(String),
      events: [1, 2, 3].map((seq, i) => expect.objectContaining({ seq, channel: 'branch:b3', data: { orderId: i + 1 } })),
    });
    expect(received.filter(([event]) => event === 'order:updated')).toHaveLength(1);
  });

  it('publishes an idempotencyKey once: the retry gets the original result and nothing is sent again', async () => {
    const client = await dashboard('b4');
    await client.subscribe('branch:b4');
    const message = { ...orderUpdated('branch:b4', 'o-9'), idempotencyKey: 'retry-me-1' };
    const first = await publish(server.url, message);
    const second = await publish(server.url, message);
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body).toEqual({ ...first.body, duplicate: true });

    // A later, different event proves the duplicate would have arrived before it.
    await publish(server.url, orderUpdated('branch:b4', 'o-10'));
    await client.until((c) => c.envelopes().some((e) => e.data && (e.data as { orderId: string }).orderId === 'o-10'));
    expect(client.envelopes('branch:b4').map((e) => e.seq)).toEqual([1, 2]);

    // The same key on another channel is a different message.
    const elsewhere = await publish(server.url, { ...message, channel: 'branch:b5' });
    expect(elsewhere.body.duplicate).toBeUndefined();
  });

  it('replays exactly what a reconnecting client missed, in order, before the ack', async () => {
    const first = await dashboard('b6');
    const ack = await first.subscribe('branch:b6');
    await publish(server.url, orderUpdated('branch:b6', 1));
    await first.until((c) => c.envelopes().length === 1);
    first.close();

    for (let i = 2; i <= 4; i++) await publish(server.url, orderUpdated('branch:b6', i));

    const second = await dashboard('b6');
    const resumed = await second.subscribe('branch:b6', { epoch: ack.epoch, seq: 1 });
    expect(resumed).toEqual({ ok: true, channel: 'branch:b6', epoch: ack.epoch, seq: 4, recovered: true, missed: 3 });
    // Replayed events were emitted before the ack, so they are already here.
    expect(second.envelopes().map((e) => [e.seq, (e.data as { orderId: number }).orderId])).toEqual([
      [2, 2],
      [3, 3],
      [4, 4],
    ]);

    await publish(server.url, orderUpdated('branch:b6', 5));
    await second.until((c) => c.envelopes().length === 4);
    expect(second.envelopes().map((e) => e.seq)).toEqual([2, 3, 4, 5]);
  });

  it('answers a current position as recovered with nothing missed', async () => {
    const client = await dashboard('b7');
    await publish(server.url, orderUpdated('branch:b7', 1));
    const ack = await client.subscribe('branch:b7');
    const again = await (await dashboard('b7')).subscribe('branch:b7', { epoch: ack.epoch, seq: ack.seq });
    expect(again).toMatchObject({ ok: true, recovered: true, missed: 0, seq: 1 });
  });

  it('refuses to replay from another epoch: EPOCH_CHANGED and no events', async () => {
    const client = await dashboard('b8');
    await publish(server.url, orderUpdated('branch:b8', 1));
    const ack = await client.subscribe('branch:b8', { epoch: 'someOtherEpoch', seq: 0 });
    expect(ack).toMatchObject({ ok: true, recovered: false, reason: 'EPOCH_CHANGED', seq: 1 });
    expect(client.envelopes()).toHaveLength(0);
  });

  it('refuses a position ahead of the channel as EPOCH_CHANGED (it cannot come from this history)', async () => {
    const client = await dashboard('b8');
    const ack = await client.subscribe('branch:b8');
    const ahead = await (await dashboard('b8')).subscribe('branch:b8', { epoch: ack.epoch, seq: ack.seq + 10 });
    expect(ahead).toMatchObject({ recovered: false, reason: 'EPOCH_CHANGED' });
  });

  it('refuses a partial replay when the missed events left history: HISTORY_EXPIRED and no events', async () => {
    const client = await dashboard('b9');
    const ack = await client.subscribe('branch:b9');
    client.close();
    // HISTORY_SIZE is 5: six missed events cannot all be replayed.
    for (let i = 1; i <= 6; i++) await publish(server.url, orderUpdated('branch:b9', i));
    const late = await dashboard('b9');
    const resumed = await late.subscribe('branch:b9', { epoch: ack.epoch, seq: 0 });
    expect(resumed).toMatchObject({ ok: true, recovered: false, reason: 'HISTORY_EXPIRED', epoch: ack.epoch, seq: 6 });
    expect(late.envelopes()).toHaveLength(0);
    // Five missed is still within history.
    const within = await (await dashboard('b9')).subscribe('branch:b9', { epoch: ack.epoch, seq: 1 });
    expect(within).toMatchObject({ recovered: true, missed: 5 });
  });

  it('stops delivering after unsubscribe', async () => {
    const client = await dashboard('b10');
    await client.subscribe('branch:b10');
    expect(await client.emitAck('unsubscribe', { channel: 'branch:b10' })).toEqual({ ok: true });
    const watcher = await dashboard('b10');
    await watcher.subscribe('branch:b10');
    await publish(server.url, orderUpdated('branch:b10', 1));
    await watcher.until((c) => c.envelopes().length === 1);
    expect(client.envelopes()).toHaveLength(0);
  });
});
