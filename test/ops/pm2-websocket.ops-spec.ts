import { connectError } from '../utils/clients';
import { FollowingClient } from '../utils/following-client';
import { Pm2 } from '../utils/pm2';
import { freePort, RedisServer } from '../utils/redis-server';
import { buildOnce } from '../utils/server-process';
import { staffToken, TEST_JWT_SECRET } from '../utils/tokens';
import { Traffic } from '../utils/traffic';

const CHANNELS = ['branch:w1', 'branch:w2', 'branch:w3', 'company:acme'];
const TOKEN = staffToken('acme', ['w1', 'w2', 'w3']);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * ecosystem.config.js's `switchboard-ws` app: stock PM2 cluster mode (PM2 balances connections,
 * no stickiness), so the server accepts the WebSocket transport only. `pm2 reload` is rolling.
 */
describe('PM2 stock cluster, websocket only (ecosystem.config.js: switchboard-ws)', () => {
  let redis: RedisServer;
  let pm2: Pm2;
  let url: string;
  const clients: FollowingClient[] = [];

  beforeAll(async () => {
    buildOnce();
    redis = await RedisServer.start();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    pm2 = new Pm2({
      REDIS_URL: redis.url,
      JWT_SECRET: TEST_JWT_SECRET,
      PORT: String(port),
      HOST: '127.0.0.1',
      WORKERS: '2',
      DRAIN_DEADLINE_SECONDS: '4',
    });
    await pm2.pm2('start', 'ecosystem.config.js', '--only', 'switchboard-ws');
    const apps = await pm2.list();
    expect(apps.map((app) => [app.name, app.status])).toEqual([
      ['switchboard-ws', 'online'],
      ['switchboard-ws', 'online'],
    ]);
  }, 120_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await pm2?.kill();
    await redis?.stop();
  }, 60_000);

  it('accepts websocket clients on both instances and refuses long-polling', async () => {
    for (let i = 0; i < 8; i++) clients.push(await FollowingClient.open(url, '/orders', TOKEN, CHANNELS, ['websocket']));
    expect(new Set(clients.map((client) => client.node)).size).toBe(2);
    const refused = await connectError(url, '/orders', { token: TOKEN, transports: ['polling'] });
    expect(refused.message).toMatch(/xhr poll error|400/i);
  }, 60_000);

  it('pm2 reload under 100 events/s: rolling, 0 missing, 0 duplicates after dedupe', async () => {
    const before = new Set((await pm2.list()).map((app) => app.pid));
    const traffic = new Traffic([url], CHANNELS, 25);
    traffic.start();
    await sleep(1000);
    await pm2.pm2('reload', 'switchboard-ws');
    await sleep(1000);
    await traffic.stop();
    const after = await pm2.list();
    expect(after.every((app) => app.status === 'online' && !before.has(app.pid))).toBe(true);
    const wanted = traffic.snapshot();
    for (const client of clients) await client.until(() => [...wanted].every((id) => client.ids().has(id)), 20_000);
    const verdicts = clients.map((client) => client.judge(traffic.accepted));
    const missing = verdicts.reduce((sum, v) => sum + v.missing, 0);
    process.stdout.write(
      `pm2 reload (websocket-only cluster): ${traffic.total} events accepted (${traffic.refused} refused) x ${clients.length} clients, ` +
        `missing ${missing}, duplicates dropped by seq ${verdicts.reduce((sum, v) => sum + v.duplicatesDropped, 0)}\n`,
    );
    expect(missing).toBe(0);
    expect(verdicts.every((v) => v.gaps === 0)).toBe(true);
    for (const client of clients) expect(client.connections).toBeGreaterThanOrEqual(2);
  }, 150_000);
});
