import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { eventually } from '../utils/eventually';
import { FollowingClient } from '../utils/following-client';
import { getJson, publish } from '../utils/http';
import { freePort, RedisServer } from '../utils/redis-server';
import { buildOnce, ROOT, startServerProcess, type ServerProcess } from '../utils/server-process';
import { staffToken, TEST_JWT_SECRET } from '../utils/tokens';
import { Traffic } from '../utils/traffic';

const CHANNELS = ['branch:h1', 'company:acme'];
const TOKEN = staffToken('acme', ['h1']);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * deploy/haproxy.cfg (the file docker-compose.yml mounts), run by Debian's haproxy on loopback in
 * front of two real app processes on one Redis: stickiness by cookie for long-polling, WebSocket
 * upgrades passed through, readiness-driven failover during a drain.
 */
describe('haproxy in front of two apps (deploy/haproxy.cfg)', () => {
  let redis: RedisServer;
  let apps: ServerProcess[];
  let haproxy: ChildProcess;
  let haproxyLog = '';
  let url: string;
  const clients: FollowingClient[] = [];

  beforeAll(async () => {
    buildOnce();
    redis = await RedisServer.start();
    const env = { REDIS_URL: redis.url, JWT_SECRET: TEST_JWT_SECRET, DRAIN_DEADLINE_SECONDS: '6' };
    apps = [await startServerProcess({ ...env, NODE_ID: 'app1' }), await startServerProcess({ ...env, NODE_ID: 'app2' })];
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    haproxy = spawn('haproxy', ['-db', '-f', join(ROOT, 'deploy', 'haproxy.cfg')], {
      env: {
        PATH: process.env.PATH,
        HAPROXY_BIND: `127.0.0.1:${port}`,
        APP1_ADDR: `127.0.0.1:${apps[0].port}`,
        APP2_ADDR: `127.0.0.1:${apps[1].port}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    haproxy.stdout?.on('data', (chunk: Buffer) => (haproxyLog += chunk.toString()));
    haproxy.stderr?.on('data', (chunk: Buffer) => (haproxyLog += chunk.toString()));
    // Both servers up in haproxy's eyes: answers come from both (X-Served-By names the server).
    const served = new Set<string>();
    await eventually(
      'haproxy routes to both apps',
      async () => {
        const response = await fetch(`${url}/health/ready`);
        if (response.status === 200) served.add(response.headers.get('x-served-by') ?? '');
        return served.has('app1') && served.has('app2');
      },
      20_000,
    );
  }, 120_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    haproxy?.kill('SIGTERM');
    for (const app of apps ?? []) await app.kill9();
    await redis?.stop();
  }, 60_000);

  it('answers health through the balancer and hides /metrics', async () => {
    expect((await getJson(`${url}/health/ready`)).status).toBe(200);
    expect((await fetch(`${url}/metrics`)).status).toBe(403);
    // The apps themselves still serve it to a scraper on the inside.
    expect((await fetch(`${apps[0].url}/metrics`)).status).toBe(200);
  });

  it('long-polling clients stick to their app by cookie; websocket clients pass through; all receive', async () => {
    for (let i = 0; i < 12; i++) {
      clients.push(await FollowingClient.open(url, '/orders', TOKEN, CHANNELS, i % 2 === 0 ? ['polling'] : ['websocket']));
    }
    const nodes = new Set(clients.map((client) => client.node));
    expect(nodes).toEqual(new Set(['app1', 'app2']));
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const result = await publish(url, {
        namespace: 'orders',
        channel: CHANNELS[i % 2],
        event: 'order:updated',
        data: { orderId: `h${i}` },
      });
      expect(result.status).toBe(202);
      ids.push(result.body.id as string);
    }
    for (const client of clients) await client.until(() => ids.every((id) => client.ids().has(id)), 10_000);
    // Dozens of polling requests each, and not one landed on the wrong app ("Session ID unknown").
    for (const client of clients) expect(client.connections).toBe(1);
  }, 60_000);

  it('SIGTERM on one app: haproxy stops sending it sessions, its clients move to the other, 0 missing', async () => {
    const traffic = new Traffic([url], CHANNELS, 25);
    traffic.start();
    await sleep(500);
    const moving = clients.filter((client) => client.node === 'app1');
    expect(moving.length).toBeGreaterThan(0);
    const exited = apps[0].stop();
    expect(await exited).toBe(0);
    await sleep(500);
    await traffic.stop();
    const wanted = traffic.snapshot();
    for (const client of clients) await client.until(() => [...wanted].every((id) => client.ids().has(id)), 20_000);
    const verdicts = clients.map((client) => client.judge(traffic.accepted));
    const missing = verdicts.reduce((sum, v) => sum + v.missing, 0);
    process.stdout.write(
      `haproxy drain: ${traffic.total} events accepted (${traffic.refused} refused) x ${clients.length} clients, ${moving.length} moved, missing ${missing}\n`,
    );
    expect(missing).toBe(0);
    expect(verdicts.every((v) => v.gaps === 0)).toBe(true);
    for (const client of moving) expect(client.node).toBe('app2');
  }, 90_000);
});
