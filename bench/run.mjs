#!/usr/bin/env node
// npm run bench [-- --quick]: Switchboard against bare Socket.IO 4.8, same machine, same run,
// same client harness and payloads; prints values and ratios, writes bench/results/<date>.json.
// Method: ../shared/reference/benchmark-method.md (servers pinned to CPU 0, clients to CPU 1).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jwt from 'jsonwebtoken';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const QUICK = process.argv.includes('--quick');
const SECRET = 'bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
const ROOMS = 100;
const N = QUICK ? 2000 : 5000;
const STEP_MS = QUICK ? 2000 : 4000;
const STEPS = QUICK ? [5000, 10000, 20000] : [5000, 10000, 20000, 30000, 40000, 50000, 60000];
const HANDSHAKES = QUICK ? 1000 : 5000;
const P99_BOUND_MS = 50;
const DEADLINE = Date.now() + (QUICK ? 2 : 10) * 60_000;

const token = (roles) => jwt.sign({ sub: 'bench', companyId: 'acme', branchIds: ['*'], roles }, SECRET, { expiresIn: '1h' });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.timeOrigin + performance.now();
const log = (line) => process.stderr.write(`${line}\n`);

function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts a process pinned to a CPU; resolves once its output matches `ready`. */
function pinned(cpu, args, env, ready) {
  const child = spawn('taskset', ['-c', String(cpu), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Keep only the tail of the output, and always drain the pipes: a full pipe blocks the server.
  let output = '';
  const waiters = [];
  const onData = (chunk) => {
    output = (output + chunk.toString()).slice(-4000);
    for (const check of [...waiters]) check();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  if (ready === null) return Promise.resolve(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start: ${args.join(' ')}\n${output}`)), 60_000);
    waiters.push(() => {
      if (!ready.test(output)) return;
      clearTimeout(timer);
      waiters.length = 0;
      resolve(child);
    });
    child.once('exit', () => reject(new Error(`exited: ${output}`)));
  });
}

function rssKb(pid) {
  const match = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) : NaN;
}

/** SIGTERM (a profile gets written on a clean exit), SIGKILL after 10 s. */
function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function untilLive(url) {
  for (let i = 0; i < 600; i++) {
    const ok = await fetch(`${url}/health/live`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`${url} never became live`);
}

const ARMS = {
  bare: async () => {
    const port = await freePort();
    const child = await pinned(0, [process.execPath, 'bench/bare-server.mjs'], { PORT: String(port), JWT_SECRET: SECRET }, /listening/);
    return { child, url: `http://127.0.0.1:${port}` };
  },
  switchboard: async (redisUrl) => {
    const port = await freePort();
    const env = {
      PORT: String(port),
      HOST: '127.0.0.1',
      JWT_SECRET: SECRET,
      LOG_FORMAT: 'json',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'log',
      NODE_ENV: 'production',
      // The bench drives one company far harder than a tenant would: lift per-user limits, not per-socket work.
      CONNECTIONS_PER_COMPANY: '0',
      CONNECTIONS_PER_IP: '0',
      RATE_LIMIT_PER_USER: '1000000',
      ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    };
    // BENCH_PROFILE=1 writes a CPU profile per Switchboard arm to bench/results/prof/ (on exit).
    const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=bench/results/prof'] : [];
    const child = await pinned(0, [process.execPath, ...profile, 'dist/main.js'], { ...env, DRAIN_DEADLINE_SECONDS: '1' }, null);
    await untilLive(`http://127.0.0.1:${port}`);
    return { child, url: `http://127.0.0.1:${port}` };
  },
};

class Clients {
  static async start() {
    const child = spawn('taskset', ['-c', '1', process.execPath, 'bench/load-client.mjs'], {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const clients = new Clients(child);
    await clients.next('ready');
    return clients;
  }
  constructor(child) {
    this.child = child;
  }
  next(cmd) {
    return new Promise((resolve) => {
      const handler = (message) => {
        if (message.cmd !== cmd) return;
        this.child.off('message', handler);
        resolve(message);
      };
      this.child.on('message', handler);
    });
  }
  async ask(message, reply) {
    const answer = this.next(reply);
    this.child.send(message);
    return answer;
  }
  stop() {
    this.child.kill('SIGKILL');
  }
}

function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Publishes `perSecond` events over HTTP keep-alive, each stamped with its scheduled time (no coordinated omission). */
async function publishAt(url, perSecond, ms, serviceToken) {
  const total = Math.round((perSecond * ms) / 1000);
  const start = now();
  let accepted = 0;
  let failed = 0;
  const inflight = new Set();
  for (let i = 0; i < total; i++) {
    const scheduled = start + (i * 1000) / perSecond;
    const wait = scheduled - now();
    if (wait > 1) await sleep(wait);
    const body = JSON.stringify({
      namespace: 'orders',
      channel: `branch:b${i % ROOMS}`,
      event: 'order:updated',
      data: { orderId: `o${i}`, sentAt: scheduled, pad: 'x'.repeat(120) },
    });
    const request = fetch(`${url}/v1/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${serviceToken}` },
      body,
    })
      .then((response) => (response.status === 202 ? accepted++ : failed++))
      .catch(() => failed++)
      .finally(() => inflight.delete(request));
    inflight.add(request);
    if (inflight.size > 256) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  return { accepted, failed };
}

/** Switchboard's own publish-to-deliver histogram (cumulative buckets, seconds), or [] for the bare arm. */
async function histogram(url) {
  const text = await fetch(`${url}/metrics`).then(
    (response) => (response.ok ? response.text() : ''),
    () => '',
  );
  return [...text.matchAll(/^switchboard_publish_to_deliver_seconds_bucket\{le="([^"]+)",namespace="\/orders"\} (\d+)/gm)].map((m) => [
    Number(m[1]),
    Number(m[2]),
  ]);
}

/** Quantiles (as the upper bound of their bucket, ms) of what was observed between two scrapes. */
function serverSide(before, after) {
  if (after.length === 0 || before.length !== after.length) return undefined;
  const delta = after.map(([le, count], i) => [le, count - before[i][1]]);
  const total = delta[delta.length - 1][1];
  const upTo = (q) => (delta.find(([, count]) => count >= q * total)?.[0] ?? Infinity) * 1000;
  return { events: total, p50UpToMs: upTo(0.5), p99UpToMs: upTo(0.99) };
}

async function fanOut(arm, url) {
  const clients = await Clients.start();
  const channels = Array.from({ length: ROOMS }, (_, i) => `branch:b${i}`);
  const connected = await clients.ask({ cmd: 'connect', url, token: token(['staff']), count: N, channels }, 'connected');
  log(`  ${arm}: ${connected.count}/${N} clients subscribed in ${(connected.ms / 1000).toFixed(1)} s`);
  const perRoom = connected.count / ROOMS;
  // Warm-up (JIT, keep-alive connections), not measured.
  await publishAt(url, Math.round(STEPS[0] / perRoom), 1000, token(['service']));
  await sleep(500);
  const steps = [];
  let best = 0;
  for (const deliveries of STEPS) {
    if (Date.now() > DEADLINE) break;
    await clients.ask({ cmd: 'reset' }, 'reset');
    const publishes = Math.round(deliveries / perRoom);
    const before = await histogram(url);
    const { accepted, failed } = await publishAt(url, publishes, STEP_MS, token(['service']));
    await sleep(1000);
    const server = serverSide(before, await histogram(url));
    const report = await clients.ask({ cmd: 'report' }, 'report');
    const expected = accepted * perRoom;
    const step = {
      targetDeliveriesPerSecond: deliveries,
      accepted,
      failed,
      completion: report.received / expected,
      p50: percentile(report.latencies, 50),
      p99: percentile(report.latencies, 99),
    };
    steps.push(step);
    const ok = failed === 0 && step.completion >= 0.9999 && step.p99 <= P99_BOUND_MS;
    if (server) step.serverSide = server;
    log(
      `  ${arm}: ${deliveries}/s -> completion ${(step.completion * 100).toFixed(2)} %, p50 ${step.p50.toFixed(1)} ms, p99 ${step.p99.toFixed(1)} ms${server ? ` (server side: p50 <= ${server.p50UpToMs} ms, p99 <= ${server.p99UpToMs} ms)` : ''}${ok ? '' : '  (over)'}`,
    );
    if (!ok) break;
    best = deliveries;
  }
  await clients.ask({ cmd: 'close' }, 'closed');
  clients.stop();
  return { best, steps };
}

async function handshakes(arm, url, pid) {
  const clients = await Clients.start();
  const before = rssKb(pid);
  const result = await clients.ask(
    { cmd: 'connect', url, token: token(['staff']), count: HANDSHAKES, channels: [], subscribe: false },
    'connected',
  );
  await sleep(1000);
  const after = rssKb(pid);
  await clients.ask({ cmd: 'close' }, 'closed');
  clients.stop();
  const perSecond = result.count / (result.ms / 1000);
  log(
    `  ${arm}: ${result.count} handshakes (${result.failed} failed) at ${perSecond.toFixed(0)}/s; RSS +${((after - before) / result.count).toFixed(1)} KB per connection`,
  );
  return { perSecond, failed: result.failed, rssPerConnectionKb: (after - before) / result.count };
}

async function main() {
  if (!process.argv.includes('--no-build')) {
    const build = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    if (build.status !== 0) process.exit(1);
  }
  const redisPort = await freePort();
  const redis = await pinned(
    1,
    ['redis-server', '--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {},
    /Ready to accept/,
  );
  const results = {
    date: new Date().toISOString(),
    quick: QUICK,
    machine: { cpus: 2, node: process.version },
    clients: N,
    rooms: ROOMS,
    p99BoundMs: P99_BOUND_MS,
    arms: {},
  };
  const only = process.argv
    .find((arg) => arg.startsWith('--arms='))
    ?.slice(7)
    .split(',');
  const arms = [
    ['bare', () => ARMS.bare()],
    ['switchboard-memory', () => ARMS.switchboard()],
    ['switchboard-redis', () => ARMS.switchboard(`redis://127.0.0.1:${redisPort}`)],
  ].filter(([name]) => !only || only.includes(name));
  try {
    for (const [name, start] of arms) {
      log(`arm ${name}`);
      const server = await start();
      try {
        results.arms[name] = { fanOut: await fanOut(name, server.url), handshakes: await handshakes(name, server.url, server.child.pid) };
      } finally {
        await stop(server.child);
      }
    }
  } finally {
    redis.kill('SIGKILL');
  }
  const bare = results.arms.bare;
  const rows = [['scenario', 'bare', 'sb memory', 'ratio', 'sb redis', 'ratio']];
  const add = (label, get, digits = 0) => {
    const value = (arm) => (arm ? get(arm) : NaN);
    const b = value(bare);
    const m = value(results.arms['switchboard-memory']);
    const r = value(results.arms['switchboard-redis']);
    rows.push([label, b.toFixed(digits), m.toFixed(digits), (m / b).toFixed(2), r.toFixed(digits), (r / b).toFixed(2)]);
  };
  add(`fan-out deliveries/s (p99 <= ${P99_BOUND_MS} ms, 100 %), N=${N}, ${ROOMS} rooms`, (a) => a.fanOut.best);
  add('handshakes/s (JWT verified)', (a) => a.handshakes.perSecond);
  add('RSS KB per idle connection', (a) => a.handshakes.rssPerConnectionKb, 1);
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  for (const row of rows) process.stdout.write(`${row.map((cell, c) => cell.padEnd(widths[c])).join('  ')}\n`);
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  const file = join(ROOT, 'bench', 'results', `${results.date.slice(0, 19).replace(/:/g, '-')}${QUICK ? '-quick' : ''}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  log(`written ${file}`);
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error.stack ?? error}\n`);
  process.exit(1);
});
