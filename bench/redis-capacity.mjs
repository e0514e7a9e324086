#!/usr/bin/env node
// node bench/redis-capacity.mjs  (after npm run build)
// The capacity model's Redis figures (docs/operations.md, "Capacity"): commands Redis runs per
// publish, per subscribe, per replay and per presence heartbeat, and memory per channel of
// history. A private redis-server on a free loopback port, one Switchboard process on it; every
// figure is a delta of Redis's own INFO commandstats / used_memory around one measured action.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import jwt from 'jsonwebtoken';
import { io } from 'socket.io-client';
import { freePort, sleep, stop } from './lib/processes.mjs';

const SECRET = 'capacity-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
const token = (roles) => jwt.sign({ sub: 'cap', companyId: 'acme', branchIds: ['*'], roles }, SECRET, { expiresIn: '1h' });

function started(child, pattern) {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`no start:\n${output}`)), 30_000);
    const onData = (chunk) => {
      output += chunk;
      if (pattern.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
  });
}

const redisPort = await freePort();
const dir = mkdtempSync(join(tmpdir(), 'sb-capacity-'));
const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir]);
/** The Switchboard child, once started. */
let app;
// However this script ends (a failed measurement throws), its children end with it.
process.on('exit', () => {
  redis.kill('SIGKILL');
  app?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
await started(redis, /Ready to accept connections/);
const port = await freePort();
app = spawn(process.execPath, ['dist/main.js'], {
  env: {
    PATH: process.env.PATH,
    PORT: String(port),
    HOST: '127.0.0.1',
    JWT_SECRET: SECRET,
    NODE_ENV: 'production',
    LOG_LEVEL: 'log',
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    RATE_LIMIT_PER_USER: '1000000',
    CONNECTIONS_PER_IP: '0',
    CONNECTIONS_PER_COMPANY: '0',
  },
  stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
});
await started(app, /listening on/);
const url = `http://127.0.0.1:${port}`;
const admin = new Redis({ port: redisPort, host: '127.0.0.1' });

/** Redis's own CPU (user + system), in µs. */
async function redisCpuUs() {
  const text = await admin.info('cpu');
  const field = (name) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(text)[1]);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
}

async function commands() {
  const text = await admin.info('commandstats');
  const stats = {};
  for (const [, name, calls] of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) stats[name] = Number(calls);
  return stats;
}

/** Commands Redis ran during `action`, per `count`, background work (heartbeats) subtracted. */
async function measure(label, count, action) {
  const idleBefore = await commands();
  await sleep(1000);
  const idleAfter = await commands();
  const before = await commands();
  const cpuBefore = await redisCpuUs();
  const t0 = Date.now();
  await action();
  await sleep(200); // let fire-and-forget writes (presence, positions) land
  const cpuUs = ((await redisCpuUs()) - cpuBefore) / count;
  const after = await commands();
  const seconds = (Date.now() - t0) / 1000;
  const delta = {};
  for (const [name, calls] of Object.entries(after)) {
    const background = ((idleAfter[name] ?? 0) - (idleBefore[name] ?? 0)) * seconds;
    const own = calls - (before[name] ?? 0) - background;
    if (own > 0.5) delta[name] = own / count;
  }
  delete delta.info;
  const total = Object.values(delta).reduce((sum, value) => sum + value, 0);
  const parts = Object.entries(delta)
    .sort((a, b) => b[1] - a[1])
    .map(([name, value]) => `${name} ${value.toFixed(2)}`)
    .join(', ');
  process.stdout.write(`${label}: ${total.toFixed(2)} commands (${parts}); Redis CPU ${cpuUs.toFixed(0)} us\n`);
  return { label, total, delta, cpuUs };
}

const publish = (body) =>
  fetch(`${url}/v1/publish${Array.isArray(body) ? '/batch' : ''}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token(['service'])}` },
    body: JSON.stringify(Array.isArray(body) ? { messages: body } : body),
  }).then((response) => {
    if (response.status !== 202) throw new Error(`publish: ${response.status}`);
    return response.json();
  });
const event = (channel, i) => ({ namespace: 'orders', channel, event: 'order:updated', data: { orderId: `o${i}`, status: 'ready' } });

function connect(namespace) {
  return new Promise((resolve, reject) => {
    const socket = io(`${url}${namespace}`, { transports: ['websocket'], auth: { token: token(['staff']) }, reconnection: false });
    socket.once('session', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}
const ack = (socket, name, payload) => socket.timeout(10_000).emitWithAck(name, payload);

const results = [];
results.push(
  await measure('publish, one event per request', 500, async () => {
    for (let i = 0; i < 500; i++) await publish(event(`branch:p${i % 10}`, i));
  }),
);
results.push(
  await measure('publish, a batch of 100 events on 10 channels, per request', 20, async () => {
    for (let i = 0; i < 20; i++) await publish(Array.from({ length: 100 }, (_, j) => event(`branch:p${j % 10}`, i * 100 + j)));
  }),
);
const sockets = [];
results.push(
  await measure('subscribe (a new channel on this node)', 100, async () => {
    for (let i = 0; i < 100; i++) {
      const socket = await connect('/orders');
      sockets.push(socket);
      await ack(socket, 'subscribe', { channel: `branch:s${i}` });
    }
  }),
);
results.push(
  await measure('subscribe (a channel this node already follows)', 100, async () => {
    for (const socket of sockets) await ack(socket, 'subscribe', { channel: 'branch:p0' });
  }),
);
// Replay: a client comes back 100 events behind on a channel this node does not follow.
const positions = [];
for (let i = 0; i < 20; i++) {
  positions.push(await publish(event(`branch:r${i}`, 0)));
}
for (let i = 0; i < 20; i++) await publish(Array.from({ length: 100 }, (_, j) => event(`branch:r${i}`, j + 1)));
results.push(
  await measure('replay of 100 missed events (subscribe with since)', 20, async () => {
    for (let i = 0; i < 20; i++) {
      const socket = await connect('/orders');
      sockets.push(socket);
      const reply = await ack(socket, 'subscribe', {
        channel: `branch:r${i}`,
        since: { epoch: positions[i].epoch, seq: positions[i].seq },
      });
      if (!reply.ok || reply.recovered !== true || reply.missed !== 100) throw new Error(`replay: ${JSON.stringify(reply)}`);
    }
  }),
);
const present = await connect('/presence');
sockets.push(present);
await ack(present, 'subscribe', { channel: 'branch:h1' });
results.push(
  await measure('presence heartbeat', 50, async () => {
    for (let i = 0; i < 50; i++) await ack(present, 'presence:heartbeat', {});
  }),
);

// Memory per channel with a full history (HISTORY_SIZE events of ~250 bytes each).
const historySize = 1000;
const channels = 20;
await admin.call('MEMORY', 'PURGE').catch(() => undefined);
const usedBefore = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))[1]);
for (let c = 0; c < channels; c++) {
  for (let b = 0; b < historySize / 100; b++) await publish(Array.from({ length: 100 }, (_, j) => event(`branch:m${c}`, b * 100 + j)));
}
const usedAfter = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))[1]);
const perChannelKb = (usedAfter - usedBefore) / channels / 1024;
process.stdout.write(`memory per channel with ${historySize} events of history: ${perChannelKb.toFixed(0)} KB\n`);

for (const socket of sockets) socket.close();
admin.disconnect();
await stop(app);
process.exit(0);
