import type { PresenceMember } from '../../src/presence/presence.store';
import { closeAllClients, connect, type TestClient } from '../utils/clients';
import { startRedis, type RedisBackend } from '../utils/redis-backend';
import { RedisServer } from '../utils/redis-server';
import { createTestApp, type TestApp } from '../utils/test-app';
import { buildOnce, startServerProcess, type ServerProcess } from '../utils/server-process';
import { signToken, TEST_JWT_SECRET } from '../utils/tokens';

const user = (sub: string, company = 'acme', branchIds = ['b1']) => signToken({ sub, companyId: company, branchIds, roles: ['staff'] });
/** [event, envelope] pairs, with `batch` frames (a busy node coalesces live events) unpacked. */
const named = (client: TestClient, event: string, userId?: string) =>
  client
    .envelopes()
    .filter((envelope) => envelope.event === event && (userId === undefined || (envelope.data as { userId: string }).userId === userId))
    .map((envelope) => [envelope.event, envelope] as const);

describe.each(['memory', 'redis', 'cluster'] as const)('/presence on the %s engine', (engine) => {
  let redis: RedisBackend | undefined;
  let nodes: TestApp[] = [];
  const env = { PRESENCE_LEAVE_GRACE_SECONDS: '1', PRESENCE_TTL_SECONDS: '3', CLUSTER_NODE_TTL_SECONDS: '2' };

  beforeAll(async () => {
    if (engine !== 'memory') redis = await startRedis(engine);
    nodes = [await createTestApp({ ...env, ...redis?.env })];
    if (redis) nodes.push(await createTestApp({ ...env, ...redis.env }));
  });
  afterEach(() => closeAllClients());
  afterAll(async () => {
    for (const node of nodes) await node.close();
    await redis?.stop();
  });

  const last = () => nodes[nodes.length - 1];
  const observe = async (company = 'acme', channel = `company:${company}`): Promise<TestClient> => {
    const client = await connect(nodes[0].url, '/presence', { token: user(`observer-${company}-${channel}`, company, ['*']) });
    expect(await client.subscribe(channel)).toMatchObject({ ok: true });
    return client;
  };
  const list = async (client: TestClient, channel: string): Promise<PresenceMember[]> =>
    (await client.emitAck<{ members: PresenceMember[] }>('presence:list', { channel })).members;

  it('deduplicates a user across tabs and nodes: one joined, connections counted', async () => {
    const observer = await observe();
    const tab1 = await connect(nodes[0].url, '/presence', { token: user('dedupe') });
    await connect(last().url, '/presence', { token: user('dedupe') });
    await observer.until((c) => named(c, 'presence:joined', 'dedupe').length === 1);
    const member = (await list(tab1, 'company:acme')).find((m) => m.userId === 'dedupe');
    expect(member).toEqual({
      userId: 'dedupe',
      status: 'online',
      view: null,
      meta: null,
      connections: 2,
      since: expect.any(Number),
      lastActiveAt: expect.any(Number),
    });
    expect(named(observer, 'presence:joined', 'dedupe')).toHaveLength(1);
  });

  it('publishes presence:updated with status, view and meta, and keeps what an update omits', async () => {
    const observer = await observe();
    const tab = await connect(nodes[0].url, '/presence', { token: user('updater') });
    expect(await tab.emitAck('presence:update', { status: 'busy', view: 'orders/42', meta: { device: 'tablet', zoom: 2 } })).toEqual({
      ok: true,
    });
    await observer.until((c) => named(c, 'presence:updated', 'updater').length === 1);
    expect(named(observer, 'presence:updated', 'updater')[0][1]).toMatchObject({
      event: 'presence:updated',
      channel: 'company:acme',
      data: { userId: 'updater', status: 'busy', view: 'orders/42', meta: { device: 'tablet', zoom: 2 }, connections: 1 },
    });
    await tab.emitAck('presence:update', { status: 'away' });
    await observer.until((c) => named(c, 'presence:updated', 'updater').length === 2);
    expect((await list(observer, 'company:acme')).find((m) => m.userId === 'updater')).toMatchObject({
      status: 'away',
      view: 'orders/42',
      meta: { device: 'tablet', zoom: 2 },
    });
    await tab.emitAck('presence:update', { status: 'online', view: null, meta: null });
    await observer.until((c) => named(c, 'presence:updated', 'updater').length === 3);
    expect((await list(observer, 'company:acme')).find((m) => m.userId === 'updater')).toMatchObject({ view: null, meta: null });
  });

  it('does not flap on a reload within the grace period, and leaves after it otherwise', async () => {
    const observer = await observe();
    const tab = await connect(nodes[0].url, '/presence', { token: user('reloader') });
    await observer.until((c) => named(c, 'presence:joined', 'reloader').length === 1);
    tab.close();
    await connect(last().url, '/presence', { token: user('reloader') }); // the reloaded page, maybe on another node
    const leaver = await connect(nodes[0].url, '/presence', { token: user('leaver') });
    await observer.until((c) => named(c, 'presence:joined', 'leaver').length === 1);
    leaver.close();
    const closedAt = Date.now();
    await observer.until((c) => named(c, 'presence:left', 'leaver').length === 1, 8000);
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(900);
    // The reloader's grace period ended well before the leaver's: no left, no second joined.
    expect(named(observer, 'presence:left', 'reloader')).toHaveLength(0);
    expect(named(observer, 'presence:joined', 'reloader')).toHaveLength(1);
    expect((await list(observer, 'company:acme')).map((m) => m.userId)).not.toContain('leaver');
  });

  it('makes a /presence branch subscriber present in that branch, until unsubscribe', async () => {
    const observer = await observe('acme', 'branch:b1');
    const tab = await connect(nodes[0].url, '/presence', { token: user('brancher') });
    expect(await tab.subscribe('branch:b1')).toMatchObject({ ok: true });
    await observer.until((c) => named(c, 'presence:joined', 'brancher').length === 1);
    expect((await list(tab, 'branch:b1')).map((m) => m.userId)).toContain('brancher');
    await tab.emitAck('unsubscribe', { channel: 'branch:b1' });
    await observer.until((c) => named(c, 'presence:left', 'brancher').length === 1, 8000);
    // Still present in the company.
    expect((await list(tab, 'company:acme')).map((m) => m.userId)).toContain('brancher');
  });

  it('brings a profile set earlier into a branch entered later', async () => {
    const observer = await observe('acme', 'branch:b1');
    const tab = await connect(nodes[0].url, '/presence', { token: user('early-setter') });
    expect(await tab.emitAck('presence:update', { status: 'busy', view: 'orders/7', meta: { device: 'till' } })).toEqual({ ok: true });
    expect(await tab.subscribe('branch:b1')).toMatchObject({ ok: true });
    await observer.until((c) => named(c, 'presence:joined', 'early-setter').length === 1);
    const expected = { userId: 'early-setter', status: 'busy', view: 'orders/7', meta: { device: 'till' } };
    expect(named(observer, 'presence:joined', 'early-setter')[0][1].data).toMatchObject(expected);
    expect((await list(observer, 'branch:b1')).find((m) => m.userId === 'early-setter')).toMatchObject(expected);
  });

  it('removes a member idle past the TTL, keeps one that sends heartbeats, and brings the idle one back on activity', async () => {
    const observer = await observe('ttlco');
    const idle = await connect(nodes[0].url, '/presence', { token: user('idle', 'ttlco') });
    const busy = await connect(last().url, '/presence', { token: user('busy', 'ttlco') });
    await observer.until((c) => named(c, 'presence:joined', 'idle').length === 1 && named(c, 'presence:joined', 'busy').length === 1);
    let beating = true;
    const beats = (async () => {
      for (let i = 0; i < 40 && beating; i++) {
        expect(await busy.emitAck('presence:heartbeat', {})).toEqual({ ok: true, ttlSeconds: 3 });
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();
    await observer.until((c) => named(c, 'presence:left', 'idle').length === 1, 10_000);
    beating = false;
    await beats;
    expect(named(observer, 'presence:left', 'busy')).toHaveLength(0);
    await idle.emitAck('presence:update', { status: 'online' });
    await observer.until((c) => named(c, 'presence:joined', 'idle').length === 2);
  });

  it('refuses bad updates and foreign channels with typed errors', async () => {
    const tab = await connect(nodes[0].url, '/presence', { token: user('validator') });
    for (const payload of [
      { status: 'sleeping' },
      { status: 'online', view: 'v'.repeat(257) },
      { status: 'online', meta: { nested: { no: true } } },
      { status: 'online', meta: { big: 'x'.repeat(1100) } },
      { status: 'online', meta: ['array'] },
      { status: 'online', extra: 1 },
    ]) {
      expect(await tab.emitAck('presence:update', payload)).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    }
    expect(await tab.emitAck('presence:list', { channel: 'company:globex' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await tab.emitAck('presence:list', { channel: 'Company:acme' })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION_FAILED' },
    });
  });

  it('keeps companies apart', async () => {
    const acme = await observe('acme');
    await connect(nodes[0].url, '/presence', { token: user('globex-user', 'globex') });
    const globex = await observe('globex');
    expect((await list(globex, 'company:globex')).map((m) => m.userId)).toContain('globex-user');
    expect((await list(acme, 'company:acme')).map((m) => m.userId)).not.toContain('globex-user');
    expect(named(acme, 'presence:joined', 'globex-user')).toHaveLength(0);
  });
});

describe('/presence when a node dies (Redis, real processes)', () => {
  let redis: RedisServer;
  let survivor: TestApp;
  let doomed: ServerProcess;
  const env = { PRESENCE_LEAVE_GRACE_SECONDS: '1', CLUSTER_NODE_TTL_SECONDS: '2', JWT_SECRET: TEST_JWT_SECRET };

  beforeAll(async () => {
    buildOnce();
    redis = await RedisServer.start();
    survivor = await createTestApp({ ...env, REDIS_URL: redis.url });
    doomed = await startServerProcess({ ...env, REDIS_URL: redis.url });
  }, 120_000);
  afterAll(async () => {
    closeAllClients();
    await doomed.kill9();
    await survivor.close();
    await redis.stop();
  });

  it('removes the dead node’s members within seconds, with presence:left and no ghosts', async () => {
    const observer = await connect(survivor.url, '/presence', { token: user('watcher', 'acme', ['*']) });
    await observer.subscribe('company:acme');
    await connect(doomed.url, '/presence', { token: user('on-doomed') });
    await connect(doomed.url, '/presence', { token: user('both') });
    await connect(survivor.url, '/presence', { token: user('both') });
    await observer.until((c) => ['on-doomed', 'both'].every((id) => named(c, 'presence:joined', id).length === 1));

    const killedAt = Date.now();
    await doomed.kill9();
    await observer.until((c) => named(c, 'presence:left', 'on-doomed').length === 1, 15_000);
    const elapsed = Date.now() - killedAt;
    expect(elapsed).toBeLessThan(60_000);

    const members = (await observer.emitAck<{ members: PresenceMember[] }>('presence:list', { channel: 'company:acme' })).members;
    expect(members.map((m) => m.userId)).not.toContain('on-doomed');
    // A user with a live tab elsewhere stays, with only that connection counted.
    expect(members.find((m) => m.userId === 'both')).toMatchObject({ connections: 1 });
    expect(named(observer, 'presence:left', 'both')).toHaveLength(0);
  }, 60_000);
});
