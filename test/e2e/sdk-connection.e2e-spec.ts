import { DrainService } from '../../src/lifecycle/drain.service';
import { FaultProxy } from '../utils/fault-proxy';
import { postJson } from '../utils/http';
import { RedisServer } from '../utils/redis-server';
import { closeSdkClients, nextState, Recorder, sdkClient } from '../utils/sdk';
import { createTestApp, type TestApp } from '../utils/test-app';
import { adminToken, signToken, staffToken } from '../utils/tokens';
import { Traffic } from '../utils/traffic';

const seconds = () => Math.floor(Date.now() / 1000);

/** Publishing loops of the running test; stopped after each test even when it failed half-way. */
const loops: Traffic[] = [];
function startTraffic(urls: string[], channel: string, perSecond: number): Traffic {
  const traffic = new Traffic(urls, [channel], perSecond);
  loops.push(traffic);
  traffic.start();
  return traffic;
}
afterEach(async () => {
  for (const traffic of loops.splice(0)) await traffic.stop();
});

/** Judges what the application saw through the SDK against what the publish API accepted: every id once, seq without holes. */
function verdict(recorder: Recorder<'orders'>, traffic: Traffic, channel: string) {
  const accepted = traffic.accepted.get(channel) ?? [];
  const seen = recorder.events.filter((event) => event.channel === channel);
  const ids = new Set(seen.map((event) => event.id));
  const seqs = seen.map((event) => event.seq);
  const holes = seqs.filter((seq, index) => index > 0 && seq !== seqs[index - 1] + 1).length;
  return {
    accepted: accepted.length,
    received: seen.length,
    missing: accepted.filter((id) => !ids.has(id)).length,
    duplicates: seen.length - ids.size,
    holes,
  };
}

/**
 * The SDK's connection handling against real servers behind a TCP proxy of our own (the stable
 * address a load balancer gives): restarts, drains, dead links after sleep, tokens that expire.
 */
describe('@switchboard/client connection handling', () => {
  let redis: RedisServer;
  let a: TestApp;
  let b: TestApp;
  let proxy: FaultProxy;

  const port = (app: TestApp) => Number(new URL(app.url).port);

  beforeAll(async () => {
    redis = await RedisServer.start();
    a = await createTestApp({ REDIS_URL: redis.url });
    b = await createTestApp({ REDIS_URL: redis.url });
    proxy = await FaultProxy.start(port(a));
  });
  afterEach(() => closeSdkClients());
  afterAll(async () => {
    await proxy.close();
    await a.close();
    await b.close();
    await redis.stop();
  });

  it('replays exactly what was missed while its server restarted, under continuous publishing', async () => {
    const recorder = new Recorder<'orders'>();
    const client = sdkClient(proxy.httpUrl, { token: staffToken('acme', ['r1']), ...recorder.hooks });
    const orders = client.namespace('orders');
    recorder.watch(orders).follow(orders, 'branch:r1');
    await recorder.subscribedTo('branch:r1');
    const traffic = startTraffic([b.url], 'branch:r1', 40);
    await recorder.waitFor((r) => r.events.length >= 10);

    // Restart the server this client is on; the proxy sends new connections to its replacement.
    await a.close();
    a = await createTestApp({ REDIS_URL: redis.url });
    proxy.targetPort = port(a);
    await recorder.subscribedTo('branch:r1', 2, 15_000);
    const resumedWith = recorder.events.length;
    await recorder.waitFor((r) => r.events.length >= resumedWith + 10, 15_000);
    await traffic.stop();
    await recorder.waitFor((r) => verdict(r, traffic, 'branch:r1').missing === 0, 10_000);

    const result = verdict(recorder, traffic, 'branch:r1');
    process.stdout.write(`sdk server restart: ${JSON.stringify(result)}, ${JSON.stringify(orders.stats('branch:r1'))}\n`);
    expect(result).toMatchObject({ missing: 0, duplicates: 0, holes: 0 });
    expect(result.received).toBe(result.accepted);
    expect(recorder.subscribed[1]).toMatchObject({ recovered: true });
    expect(recorder.resyncs).toEqual([]);
  });

  it('after server:draining, waits the advised time, then moves to another server without losing anything', async () => {
    const recorder = new Recorder<'orders'>();
    const client = sdkClient(proxy.httpUrl, { token: staffToken('acme', ['r2']), ...recorder.hooks });
    const orders = client.namespace('orders');
    let draining: { at: number; reconnectAfterMs: number } | undefined;
    orders.on('server:draining', ({ reconnectAfterMs }) => (draining = { at: Date.now(), reconnectAfterMs }));
    recorder.watch(orders).follow(orders, 'branch:r2');
    await recorder.subscribedTo('branch:r2');
    const traffic = startTraffic([b.url], 'branch:r2', 40);

    proxy.targetPort = port(b);
    const drained = a.app.get(DrainService).drain();
    await recorder.subscribedTo('branch:r2', 2, 15_000);
    const reconnected = recorder.subscribed[1].at;
    await drained;
    await traffic.stop();
    await recorder.waitFor((r) => verdict(r, traffic, 'branch:r2').missing === 0, 10_000);

    expect(draining).toEqual({ at: expect.any(Number), reconnectAfterMs: expect.any(Number) });
    const { at, reconnectAfterMs } = draining as { at: number; reconnectAfterMs: number };
    expect(reconnected - at).toBeGreaterThanOrEqual(reconnectAfterMs - 20);
    expect(orders.session?.node).toBe(b.config.nodeId);
    expect(verdict(recorder, traffic, 'branch:r2')).toMatchObject({ missing: 0, duplicates: 0, holes: 0 });
    await a.close();
    a = await createTestApp({ REDIS_URL: redis.url });
  });

  it('replaces a connection that died silently (half-open after sleep) as soon as it is woken, and replays the gap', async () => {
    proxy.targetPort = port(a);
    const recorder = new Recorder<'orders'>();
    const client = sdkClient(proxy.httpUrl, { token: staffToken('acme', ['r3']), wake: false, ...recorder.hooks });
    const orders = client.namespace('orders');
    recorder.watch(orders).follow(orders, 'branch:r3');
    await recorder.subscribedTo('branch:r3');
    const first = orders.session?.sessionId;
    const traffic = startTraffic([b.url], 'branch:r3', 40);
    await recorder.waitFor((r) => r.events.length >= 5);

    expect(proxy.stallExisting()).toBeGreaterThan(0);
    const stalledAt = Date.now();
    await client.wake();
    await recorder.subscribedTo('branch:r3', 2, 10_000);
    // Socket.IO alone would notice only after pingInterval + pingTimeout (45 s).
    expect(Date.now() - stalledAt).toBeLessThan(10_000);
    expect(orders.session?.sessionId).not.toBe(first);
    await traffic.stop();
    await recorder.waitFor((r) => verdict(r, traffic, 'branch:r3').missing === 0, 10_000);
    expect(verdict(recorder, traffic, 'branch:r3')).toMatchObject({ missing: 0, duplicates: 0, holes: 0 });
  });

  it('reconnects at once when woken while it waits out a long backoff', async () => {
    const dead = await FaultProxy.start(1); // nothing listens on port 1: every attempt is refused
    try {
      const client = sdkClient(dead.httpUrl, { token: staffToken(), wake: false, reconnect: { baseDelayMs: 60_000, maxDelayMs: 60_000 } });
      const orders = client.namespace('orders');
      let retryAt = 0;
      // Full jitter may draw a short wait; take the first that leaves at least 5 s (bounded).
      for (let attempt = 0; attempt < 10 && retryAt - Date.now() < 5000; attempt++) {
        retryAt = (await nextState(orders, 'waiting', 70_000)).retryAt as number;
      }
      expect(retryAt - Date.now()).toBeGreaterThan(4000);
      dead.targetPort = port(a);
      const woken = Date.now();
      await client.wake();
      await orders.ready({ timeoutMs: 5000 });
      expect(Date.now()).toBeLessThan(retryAt);
      expect(Date.now() - woken).toBeLessThan(3000);
    } finally {
      await dead.close();
    }
  }, 90_000);
});

describe('@switchboard/client tokens', () => {
  let server: TestApp;

  beforeAll(async () => {
    server = await createTestApp({ TOKEN_GRACE_SECONDS: '1' });
  });
  afterEach(() => closeSdkClients());
  afterAll(() => server.close());

  it('refreshes short-lived tokens ahead of exp and stays on the same connection past the first token’s expiry', async () => {
    const recorder = new Recorder<'orders'>();
    let issued = 0;
    const getToken = () => {
      issued += 1;
      recorder.touch();
      return signToken({ iat: seconds(), exp: seconds() + 3 });
    };
    const client = sdkClient(server.url, { getToken, ...recorder.hooks });
    const orders = client.namespace('orders');
    recorder.watch(orders);
    const session = await orders.ready();
    const firstExpiry = session.tokenExpiresAt;
    // Four refreshes take longer than the first token's lifetime plus the server's grace.
    await recorder.waitFor(() => issued >= 5 && Date.now() > firstExpiry + 1500, 20_000);
    expect(orders.session?.sessionId).toBe(session.sessionId);
    expect(recorder.states.map((state) => state.state)).toEqual(['connecting', 'connected']);
    expect(recorder.errors).toEqual([]);
    expect((await orders.request('session:ping', {})).ok).toBe(true);
  });

  it('never presents a token it can tell has expired (a laptop woke after exp): it asks getToken() again first', async () => {
    const recorder = new Recorder<'orders'>();
    const tokens = [signToken({ exp: seconds() - 10 })];
    let calls = 0;
    const getToken = async () => {
      calls += 1;
      // The provider answers slowly, so the expired token would be the one sent if nobody checked.
      await new Promise((resolve) => setImmediate(resolve));
      return tokens.shift() ?? staffToken();
    };
    const orders = sdkClient(server.url, { getToken, ...recorder.hooks }).namespace('orders');
    recorder.watch(orders);
    await orders.ready();
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(recorder.states.map((state) => state.state)).not.toContain('waiting');
  });

  it('asks for a new token when the server refuses one at the handshake (AUTH_INVALID), then connects', async () => {
    const recorder = new Recorder<'orders'>();
    const tokens = [signToken({}, {}, 'a-secret-this-server-does-not-know-0123456789')];
    const getToken = () => tokens.shift() ?? staffToken();
    const orders = sdkClient(server.url, { getToken, ...recorder.hooks }).namespace('orders');
    recorder.watch(orders);
    await orders.ready();
    expect(recorder.states.find((state) => state.state === 'waiting')?.error).toMatchObject({ code: 'AUTH_INVALID' });
  });

  it('stops with AUTH_EXPIRED when a fixed token has expired (nothing to refresh it with)', async () => {
    const orders = sdkClient(server.url, { token: signToken({ exp: seconds() - 10 }) }).namespace('orders');
    expect((await nextState(orders, 'failed')).error).toMatchObject({ code: 'AUTH_EXPIRED' });
  });

  it('comes back with a new token after its token was revoked', async () => {
    const recorder = new Recorder<'orders'>();
    let n = 0;
    const getToken = () => signToken({ jti: `t-${++n}` });
    const orders = sdkClient(server.url, { getToken, ...recorder.hooks }).namespace('orders');
    recorder.watch(orders).follow(orders, 'branch:b1');
    await recorder.subscribedTo('branch:b1');
    expect((await postJson(`${server.url}/v1/admin/revoke`, { companyId: 'acme', jti: 't-1' }, adminToken())).status).toBe(202);
    await recorder.subscribedTo('branch:b1', 2);
    expect(recorder.states.find((state) => state.state === 'waiting')?.error).toMatchObject({ code: 'REVOKED' });
    expect(n).toBeGreaterThanOrEqual(2);
  });
});

describe('@switchboard/client when Redis loses its data', () => {
  let redis: RedisServer;
  let server: TestApp;

  beforeAll(async () => {
    redis = await RedisServer.start();
    server = await createTestApp({ REDIS_URL: redis.url });
  });
  afterEach(() => closeSdkClients());
  afterAll(async () => {
    await server.close();
    await redis.stop();
  });

  it('turns channel:reset into onResync(EPOCH_CHANGED), then continues in the new epoch', async () => {
    const recorder = new Recorder<'orders'>();
    const orders = sdkClient(server.url, { token: staffToken(), ...recorder.hooks }).namespace('orders');
    recorder.follow(orders, 'branch:b1');
    await recorder.subscribedTo('branch:b1');
    const traffic = startTraffic([server.url], 'branch:b1', 20);
    await recorder.waitFor((r) => r.events.length >= 3);
    const before = recorder.events[0].epoch;
    await redis.kill9();
    await redis.launch();
    await recorder.waitFor((r) => r.resyncs.length >= 1, 15_000);
    await recorder.waitFor((r) => r.events.some((event) => event.epoch !== before), 15_000);
    await traffic.stop();
    expect(recorder.resyncs[0]).toMatchObject({ channel: 'branch:b1', reason: 'EPOCH_CHANGED' });
    const after = recorder.events.filter((event) => event.epoch !== before).map((event) => event.seq);
    expect(after[0]).toBe(recorder.resyncs[0].seq + 1);
    expect(after.every((seq, index) => index === 0 || seq === after[index - 1] + 1)).toBe(true);
  });
});
