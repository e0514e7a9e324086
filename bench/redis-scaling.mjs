#!/usr/bin/env node
// node bench/redis-scaling.mjs [--seconds=5]  (after npm run build; the full `npm run bench` runs it too)
// How publish throughput grows with Redis masters (docs/operations.md, "Capacity"). Redis must be
// the bottleneck for that question, so no Switchboard process sits in front of it, and the load
// comes from redis-benchmark (C, pipelined: a few µs of client CPU per call, where a Node driver
// costs more than Redis itself). The command is the one Switchboard sends: the publish script
// call captured from Switchboard's own Redis engine (dist/bus/redis.engine.js) publishing one
// event, sent on one channel per master (redis-benchmark's `{tag}` routes a fixed key set to each
// master; a random key would split the script's four keys of one channel). Topologies: one
// standalone Redis, then Redis Cluster with 1, 2 and 3 masters (no replicas), private
// redis-servers on loopback. Figures: events/s, each master's CPU (INFO cpu deltas), Redis CPU per
// event. Also the same load from Switchboard's engine in Node, for the client's share.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Cluster, Redis } from 'ioredis';
import { freePort, sleep } from './lib/processes.mjs';

const SLOTS = 16384;

/** One private redis-server; resolves once it accepts connections. */
async function startServer(dir, clustered) {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  // A node that never met another does not know its own address, and CLUSTER SLOTS would name
  // it without one: announce it.
  if (clustered) args.push('--cluster-enabled', 'yes', '--cluster-announce-ip', '127.0.0.1', '--cluster-config-file', `nodes-${port}.conf`);
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 10_000);
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout.resume();
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${output}`)));
  });
  return { port, child, admin: new Redis({ port, host: '127.0.0.1' }) };
}

/** A cluster of `masters` masters, slots split evenly, joined with CLUSTER MEET (redis-cli wants at least 3). */
async function formCluster(servers) {
  for (const [i, server] of servers.entries()) {
    const from = Math.floor((i * SLOTS) / servers.length);
    const to = Math.floor(((i + 1) * SLOTS) / servers.length) - 1;
    await server.admin.call('CLUSTER', 'ADDSLOTSRANGE', from, to);
  }
  for (const server of servers.slice(1)) await servers[0].admin.call('CLUSTER', 'MEET', '127.0.0.1', server.port);
  for (let attempt = 0; attempt < 300; attempt++) {
    const states = await Promise.all(servers.map((server) => server.admin.call('CLUSTER', 'INFO')));
    if (states.every((info) => /cluster_state:ok/.test(info) && new RegExp(`cluster_known_nodes:${servers.length}\\b`).test(info))) return;
    await sleep(100);
  }
  throw new Error('the cluster did not form');
}

async function cpuSeconds(admin) {
  const text = await admin.info('cpu');
  const field = (name) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(text)[1]);
  return field('used_cpu_user') + field('used_cpu_sys');
}

/** The publish script's call for one event on one channel, as Switchboard's Redis engine sends it. */
async function captureCall(RedisEngine, port) {
  const command = new Redis({ port, host: '127.0.0.1' });
  const subscriber = new Redis({ port, host: '127.0.0.1' });
  let captured;
  const send = command.sendCommand.bind(command);
  command.sendCommand = (call) => {
    if (call.name === 'evalsha') captured ??= call.args.map(String);
    return send(call);
  };
  const engine = new RedisEngine({ command, subscriber, history: HISTORY, idempotencyTtlSeconds: 86_400 });
  engine.setListener({ arrived() {}, resumed() {} });
  await engine.publish('acme/orders/branch:b1', [draft(0)]);
  await engine.close();
  command.disconnect();
  subscriber.disconnect();
  const [sha, numkeys, ...rest] = captured;
  // The channel's keys carry its hash tag; redis-benchmark puts a tag of the target master's slots there.
  return [sha, numkeys, ...rest.map((arg, i) => (i < Number(numkeys) ? arg.replace(/\{[^}]*\}/, '{tag}') : arg))];
}

const HISTORY = { size: 1000, ttlSeconds: 86_400, positionTtlSeconds: 604_800 };
const draft = (i) => ({
  id: `e${i}`,
  channel: 'branch:b1',
  event: 'order:updated',
  data: { orderId: `o${i}`, status: 'ready' },
  ts: Date.now(),
});

/** Runs `work` and returns it with each master's CPU (percent of one core) and the wall time. */
async function withCpu(servers, work) {
  const before = await Promise.all(servers.map((server) => cpuSeconds(server.admin)));
  const started = performance.now();
  const result = await work();
  const wall = (performance.now() - started) / 1000;
  const after = await Promise.all(servers.map((server) => cpuSeconds(server.admin)));
  const cpu = after.map((value, i) => value - before[i]);
  return { result, wall, cpu, percent: cpu.map((value) => Math.round((value / wall) * 100)) };
}

/** redis-benchmark sending `call` (EVALSHA …) to every master, ~`seconds` long; returns calls/s. */
async function benchmark(servers, clustered, call, seconds, perMasterRate) {
  const requests = Math.round(perMasterRate * servers.length * seconds);
  const args = [
    '-h',
    '127.0.0.1',
    '-p',
    String(servers[0].port),
    '-c',
    String(16 * servers.length),
    '-P',
    '16',
    '-n',
    String(requests),
    '--csv',
  ];
  // redis-benchmark wants two masters or more for --cluster; one master owns every slot anyway.
  if (clustered && servers.length > 1) args.push('--cluster');
  const child = spawn('redis-benchmark', [...args, 'EVALSHA', ...call], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  // The CSV's first field is the command line, quotes unescaped: read the figures from the end.
  const rps = /"([\d.]+)"(?:,"[\d.]+"){6}\s*$/.exec(output.trim());
  if (code !== 0 || !rps) throw new Error(`redis-benchmark failed (${code}):\n${output.slice(-2000)}`);
  return Number(rps[1]);
}

/** The same load from Switchboard's engine in one Node process (64 calls in flight on 1,000 channels). */
async function engineLoad(RedisEngine, servers, clustered, seconds) {
  const connect = () =>
    clustered
      ? new Cluster([{ host: '127.0.0.1', port: servers[0].port }], { scaleReads: 'master', shardedSubscribers: false })
      : new Redis({ port: servers[0].port, host: '127.0.0.1' });
  const command = connect();
  const subscriber = connect();
  const engine = new RedisEngine({ command, subscriber, history: HISTORY, idempotencyTtlSeconds: 86_400 });
  engine.setListener({ arrived() {}, resumed() {} });
  const keys = Array.from({ length: 1000 }, (_, i) => `acme/orders/branch:b${i}`);
  let published = 0;
  let failed = 0;
  const deadline = performance.now() + seconds * 1000;
  const worker = async (w) => {
    for (let i = w; performance.now() < deadline; i += 64) {
      await engine.publish(keys[i % keys.length], [draft(i)]).then(
        () => (published += 1),
        () => (failed += 1),
      );
    }
  };
  const started = performance.now();
  const usage = process.cpuUsage();
  await Promise.all(Array.from({ length: 64 }, (_, w) => worker(w)));
  const wall = (performance.now() - started) / 1000;
  const driver = process.cpuUsage(usage);
  await engine.close();
  command.disconnect();
  subscriber.disconnect();
  return {
    eventsPerSecond: Math.round(published / wall),
    failed,
    driverCpuPercent: Math.round(((driver.user + driver.system) / 1e6 / wall) * 100),
  };
}

/** Every topology in turn; `log` reports progress. */
export async function runRedisScaling({ root, log = () => {}, seconds = 5 }) {
  const { RedisEngine } = await import(pathToFileURL(join(root, 'dist/bus/redis.engine.js')).href);
  const { PUBLISH_SCRIPT } = await import(pathToFileURL(join(root, 'dist/bus/redis-scripts.js')).href);
  const topologies = [
    { label: 'one Redis (standalone)', masters: 1, clustered: false },
    { label: 'Redis Cluster, 1 master', masters: 1, clustered: true },
    { label: 'Redis Cluster, 2 masters', masters: 2, clustered: true },
    { label: 'Redis Cluster, 3 masters', masters: 3, clustered: true },
  ];
  const results = [];
  let call;
  let perMasterRate = 30_000;
  for (const topology of topologies) {
    const dir = mkdtempSync(join(tmpdir(), 'sb-scaling-'));
    const servers = [];
    try {
      for (let i = 0; i < topology.masters; i++) servers.push(await startServer(dir, topology.clustered));
      if (topology.clustered) await formCluster(servers);
      call ??= await captureCall(RedisEngine, servers[0].port);
      for (const server of servers) await server.admin.call('SCRIPT', 'LOAD', PUBLISH_SCRIPT);
      // A short first pass sizes the measured one (redis-benchmark is bounded by a count, not a time).
      perMasterRate = (await benchmark(servers, topology.clustered, call, 0.5, perMasterRate)) / topology.masters;
      const direct = await withCpu(servers, () => benchmark(servers, topology.clustered, call, seconds, perMasterRate));
      const engine = await withCpu(servers, () => engineLoad(RedisEngine, servers, topology.clustered, seconds));
      const figures = {
        eventsPerSecond: Math.round(direct.result),
        mastersCpuPercent: direct.percent,
        redisCpuUsPerEvent: Math.round((direct.cpu.reduce((sum, value) => sum + value, 0) / (direct.result * direct.wall)) * 1e6),
        engine: { ...engine.result, mastersCpuPercent: engine.percent },
      };
      results.push({ ...topology, ...figures });
      log(
        `redis scaling: ${topology.label}: ${figures.eventsPerSecond} events/s (masters' CPU ${figures.mastersCpuPercent.join('/')} %); ` +
          `from one Node engine ${engine.result.eventsPerSecond} events/s (driver ${engine.result.driverCpuPercent} %, masters ${engine.percent.join('/')} %)`,
      );
    } finally {
      for (const server of servers) {
        server.admin.disconnect();
        server.child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const base = results[0].eventsPerSecond;
  return results.map((result) => ({ ...result, ratio: result.eventsPerSecond / base }));
}

/** The scenario's table: one row per topology. */
export function redisScalingReport(results) {
  const rows = [
    [
      'Redis topology',
      'publishes/s (redis-benchmark)',
      'x one Redis',
      "masters' CPU %",
      'Redis CPU us/event',
      'from one Node engine/s',
      'Node driver CPU %',
    ],
  ];
  for (const result of results) {
    rows.push([
      result.label,
      String(result.eventsPerSecond),
      result.ratio.toFixed(2),
      result.mastersCpuPercent.join(' / '),
      String(result.redisCpuUsPerEvent),
      String(result.engine.eventsPerSecond),
      String(result.engine.driverCpuPercent),
    ]);
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const seconds = Number(process.argv.find((arg) => arg.startsWith('--seconds='))?.slice(10) ?? 5);
  const { table } = await import('./lib/stats.mjs');
  const root = join(import.meta.dirname, '..');
  const results = await runRedisScaling({ root, seconds, log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(`${table(redisScalingReport(results))}\n`);
  if (results.some((result) => result.engine.failed > 0)) process.exit(1);
}
