import { MemoryStorage, SwitchboardError } from '../../packages/client/src/index.js';
import { SocketDirectory } from '../../src/realtime/socket-directory';
import { eventually } from '../utils/eventually';
import { orderUpdated, publish, publishBatch } from '../utils/http';
import { RedisServer } from '../utils/redis-server';
import { closeSdkClients, nextState, Recorder, sdkClient } from '../utils/sdk';
import { createTestApp, type TestApp } from '../utils/test-app';
import { signToken, staffToken } from '../utils/tokens';

/** The SDK against the real app: subscriptions, batches, stored positions and their limits, on both engines. */
describe.each([
  ['memory', false],
  ['redis', true],
] as const)('@switchboard/client channels on the %s engine', (_engine, withRedis) => {
  let redis: RedisServer | undefined;
  let server: TestApp;

  beforeAll(async () => {
    redis = withRedis ? await RedisServer.start() : undefined;
    server = await createTestApp(redis ? { REDIS_URL: redis.url, HISTORY_SIZE: '5' } : { HISTORY_SIZE: '5' });
  });
  afterEach(() => closeSdkClients());
  afterAll(async () => {
    await server.close();
    await redis?.stop();
  });

  const roomSize = (key: string) => server.app.get(SocketDirectory).namespace('orders')?.adapter.rooms.get(key)?.size ?? 0;

  it('delivers single and batched events to typed handlers, each once and in seq order, and unsubscribes on the server', async () => {
    const recorder = new Recorder<'orders'>();
    const orders = sdkClient(server.url, { token: staffToken('acme', ['b1']), ...recorder.hooks }).namespace('orders');
    const seen: string[] = [];
    const stop = orders.subscribe(
      'branch:b1',
      (event) => {
        // Typed from the server's event map: `data` narrows with `event`.
        if (event.event === 'order:status-changed') seen.push(event.data.status);
        else if (event.event === 'print-job:updated') seen.push(event.data.jobId);
        else if ('orderId' in event.data) seen.push(String(event.data.orderId));
        recorder.events.push(event);
        recorder.touch();
      },
      { onSubscribed: () => recorder.touch() },
    );
    await eventually('subscribed on the server', () => roomSize('acme/orders/branch:b1') === 1, 5000);

    expect((await publish(server.url, orderUpdated('branch:b1', 'o-1'))).status).toBe(202);
    const batch = await publishBatch(server.url, [
      orderUpdated('branch:b1', 'o-2'),
      { namespace: 'orders', channel: 'branch:b1', event: 'order:status-changed', data: { orderId: 'o-2', status: 'ready' } },
      orderUpdated('branch:b1', 'o-3'),
    ]);
    expect(batch.status).toBe(202);
    await recorder.waitFor((r) => r.events.length === 4);
    expect(recorder.seqs()).toEqual([1, 2, 3, 4]);
    expect(seen).toEqual(['o-1', 'o-2', 'ready', 'o-3']);
    expect(orders.position('branch:b1')).toMatchObject({ seq: 4 });

    stop();
    await eventually('unsubscribed on the server', () => roomSize('acme/orders/branch:b1') === 0, 5000);
    expect(orders.position('branch:b1')).toBeUndefined();
    expect(recorder.errors).toEqual([]);
  });

  it('resumes from stored positions after a restart of the client: exactly what it missed, no resync', async () => {
    const storage = new MemoryStorage();
    const token = staffToken('acme', ['b2']);
    const first = new Recorder<'orders'>();
    const before = sdkClient(server.url, { token, storage, ...first.hooks });
    first.follow(before.namespace('orders'), 'branch:b2');
    await first.subscribedTo('branch:b2');
    for (const n of [1, 2]) await publish(server.url, orderUpdated('branch:b2', n));
    await first.waitFor((r) => r.events.length === 2);
    before.close();

    for (const n of [3, 4, 5]) await publish(server.url, orderUpdated('branch:b2', n));
    const second = new Recorder<'orders'>();
    const after = sdkClient(server.url, { token, storage, ...second.hooks });
    second.follow(after.namespace('orders'), 'branch:b2');
    await second.waitFor((r) => r.events.length === 3);
    await publish(server.url, orderUpdated('branch:b2', 6));
    await second.waitFor((r) => r.events.length === 4);
    expect(second.seqs()).toEqual([3, 4, 5, 6]);
    expect(second.resyncs).toEqual([]);
    expect(after.namespace('orders').stats('branch:b2')).toMatchObject({ duplicatesDropped: 0, gapsHealed: 0 });
  });

  it('asks for a resync when more was missed than history keeps (HISTORY_EXPIRED), then continues live', async () => {
    const storage = new MemoryStorage();
    const token = staffToken('acme', ['b3']);
    const first = new Recorder<'orders'>();
    const before = sdkClient(server.url, { token, storage, ...first.hooks });
    first.follow(before.namespace('orders'), 'branch:b3');
    await first.subscribedTo('branch:b3');
    await publish(server.url, orderUpdated('branch:b3', 1));
    await first.waitFor((r) => r.events.length === 1);
    before.close();

    for (let n = 2; n <= 9; n++) await publish(server.url, orderUpdated('branch:b3', n)); // HISTORY_SIZE is 5
    const second = new Recorder<'orders'>();
    const after = sdkClient(server.url, { token, storage, ...second.hooks });
    second.follow(after.namespace('orders'), 'branch:b3');
    await second.waitFor((r) => r.resyncs.length === 1);
    expect(second.resyncs).toEqual([{ channel: 'branch:b3', reason: 'HISTORY_EXPIRED', seq: 9 }]);
    expect(second.events).toEqual([]);
    await publish(server.url, orderUpdated('branch:b3', 10));
    await second.waitFor((r) => r.events.length === 1);
    expect(second.seqs()).toEqual([10]);
  });

  it('keeps positions per user: another user of the same storage starts fresh', async () => {
    const storage = new MemoryStorage();
    const first = new Recorder<'orders'>();
    const alice = sdkClient(server.url, { token: staffToken('acme', ['b4'], 'alice'), storage, ...first.hooks });
    first.follow(alice.namespace('orders'), 'branch:b4');
    await first.subscribedTo('branch:b4');
    await publish(server.url, orderUpdated('branch:b4', 1));
    await first.waitFor((r) => r.events.length === 1);
    alice.close();
    await publish(server.url, orderUpdated('branch:b4', 2));

    const second = new Recorder<'orders'>();
    const bob = sdkClient(server.url, { token: staffToken('acme', ['b4'], 'bob'), storage, ...second.hooks });
    second.follow(bob.namespace('orders'), 'branch:b4');
    await second.subscribedTo('branch:b4');
    await publish(server.url, orderUpdated('branch:b4', 3));
    await second.waitFor((r) => r.events.length === 1);
    // Bob never saw seq 2 replayed from Alice's position: he subscribed fresh, at the channel's head.
    expect(second.seqs()).toEqual([3]);
  });

  it('reports a refused channel to its subscriber with the server code, and keeps the others', async () => {
    const recorder = new Recorder<'orders'>();
    const orders = sdkClient(server.url, { token: staffToken('acme', ['b1']), ...recorder.hooks }).namespace('orders');
    const refused: SwitchboardError[] = [];
    orders.subscribe('branch:other', () => undefined, { onError: (error) => refused.push(error) });
    recorder.follow(orders, 'company:acme');
    await recorder.waitFor((r) => r.errors.length === 1);
    expect(refused.map((error) => error.code)).toEqual(['FORBIDDEN']);
    await recorder.subscribedTo('company:acme');
    await publish(server.url, orderUpdated('company:acme', 1));
    await recorder.waitFor((r) => r.events.length === 1);
  });

  it('reports a handler that throws (HANDLER_FAILED) and keeps delivering the next events, in order', async () => {
    const recorder = new Recorder<'orders'>();
    const orders = sdkClient(server.url, { token: staffToken('acme', ['b5']), ...recorder.hooks }).namespace('orders');
    orders.subscribe(
      'branch:b5',
      (event) => {
        recorder.events.push(event);
        recorder.touch();
        if (event.seq === 1) throw new Error('bad render');
      },
      { onSubscribed: () => recorder.touch() },
    );
    await recorder.waitFor(() => orders.position('branch:b5') !== undefined);
    for (const n of [1, 2]) await publish(server.url, orderUpdated('branch:b5', n));
    await recorder.waitFor((r) => r.events.length === 2 && r.errors.length === 1);
    expect(recorder.seqs()).toEqual([1, 2]);
    expect(recorder.errors[0]).toMatchObject({ code: 'HANDLER_FAILED' });
    expect(recorder.errors[0].message).toMatch(/bad render/);
  });

  it('stops for good on FORBIDDEN at the handshake (a role that may not use the namespace)', async () => {
    const recorder = new Recorder<'orders'>();
    const orders = sdkClient(server.url, { token: signToken({ roles: ['printer-agent'] }), ...recorder.hooks }).namespace('orders');
    const failed = await nextState(orders, 'failed');
    expect(failed.error).toMatchObject({ code: 'FORBIDDEN' });
    await expect(orders.ready()).rejects.toBeInstanceOf(SwitchboardError);
    expect(orders.state).toBe('failed');
  });

  it('sends typed commands: session:ping and presence:list, with error codes as SwitchboardError', async () => {
    const client = sdkClient(server.url, { token: staffToken('acme', ['b1']) });
    const ping = await client.namespace('orders').request('session:ping', {});
    expect(Math.abs(ping.serverTime - Date.now())).toBeLessThan(5000);
    const presence = client.namespace('presence');
    await presence.request('presence:update', { status: 'busy', view: 'orders' });
    const list = await presence.request('presence:list', { channel: 'company:acme' });
    expect(list.members.map((member) => [member.userId, member.status])).toContainEqual(['user-1', 'busy']);
    await expect(presence.request('presence:list', { channel: 'company:beta' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
