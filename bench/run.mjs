#!/usr/bin/env node
// npm run bench [-- --quick] [--arms=bare,switchboard-memory,switchboard-redis,hostile,redis-scaling,outbox] [--pairs=3] [--no-build]
//   [--layouts=1000x100,...] [--steps=20000,20000] (one layout at a fixed load, e.g. under BENCH_PROFILE=1)
//   BENCH_REDIS_CPU=0 pins the Redis server to the server's CPU instead of the clients' (a diagnostic)
//   BENCH_DIST=<dir> runs Switchboard from another build (an A/B of two builds in the same minutes)
// Switchboard against bare Socket.IO 4.8: same machine, same run, same client harness and payloads.
// Prints each scenario's values and ratios, writes bench/results/<date>.json.
// Method: ../shared/reference/benchmark-method.md (server pinned to CPU 0; clients, publisher and
// Redis to CPU 1; the arms' fan-out ladders climb rung by rung in lockstep, the pairs round by round).
// BENCH_PROFILE=1 writes a CPU profile per server process (bare arm included) to bench/results/prof/.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jwt from 'jsonwebtoken';
import { freePort, pinned, sleep, stop } from './lib/processes.mjs';
import { fixed, markdown, table } from './lib/stats.mjs';
import { HostileScenarios } from './hostile.mjs';
import { outboxReport, runOutbox } from './outbox.mjs';
import { pairsReport, runPairs } from './pairs.mjs';
import { redisScalingReport, runRedisScaling } from './redis-scaling.mjs';
import { writeCharts } from './chart.mjs';
import { Scenarios, interleavedFanOut } from './scenarios.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const QUICK = process.argv.includes('--quick');
const SECRET = 'bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
const STARTED = Date.now();
const BUDGET_MS = (QUICK ? 2 : 28) * 60_000;
/**
 * Rounds of interleaved pairs (`--pairs=n`): 5 in a full run, as the method's full run has it
 * (with 3, one odd round moves a median: handshakes read 0.61 / 0.88 / 0.89x in one run, 0.89 /
 * 0.97 / 1.09x in the one before, issue 14), 1 in a quick one.
 */
const PAIRS = Number(process.argv.find((arg) => arg.startsWith('--pairs='))?.slice('--pairs='.length) ?? (QUICK ? 1 : 5));
const QUICK_WARNING =
  'WARNING: --quick figures are for smoke only (short steps, one pass per arm; the same commit has swung 0.15x-2x between quick runs). Use the full run for figures.';
const HOT_LADDER = [50_000, 100_000, 200_000, 500_000, 1_000_000, 2_000_000, 3_000_000];
/** `--steps=20000,20000,20000` replaces the ladder: a fixed load to profile one arm against another. */
const STEPS = process.argv
  .find((arg) => arg.startsWith('--steps='))
  ?.slice('--steps='.length)
  .split(',')
  .map(Number);
const LADDER = STEPS ?? [2000, 5000, 7500, 10000, 15000, 20000, 30000, 40000, 50000, 60000, 80000, 100000];
/** Bisections between the last rung held and the first lost (none for a fixed-load probe). */
const REFINE = STEPS ? 0 : 2;

/** What runs: the full plan of issue 6, or a smoke run that proves every scenario works. */
const PLAN = QUICK
  ? {
      connections: 2000,
      // Steps of 1 s: the smoke run proves every scenario works and loses nothing, within 2 minutes.
      layouts: [{ clients: 2000, rooms: 100, steps: [2000, 5000, 10000], stepMs: 1000, validators: 10, primary: true }],
      latencyMs: 1000,
    }
  : {
      connections: 10000,
      layouts: [
        { clients: 1000, rooms: 100, steps: LADDER, stepMs: 3000, refine: REFINE },
        { clients: 1000, rooms: 1, steps: LADDER, stepMs: 3000, refine: REFINE },
        { clients: 5000, rooms: 1, steps: LADDER, stepMs: 3000, refine: REFINE },
        { clients: 5000, rooms: 100, steps: LADDER, stepMs: 3000, validators: 20, primary: true, refine: REFINE },
        // The hot channel (a ticker, a stock board): one channel, 1,000 subscribers, events published
        // one request each, 50 to 3,000 events/s. Where adaptive micro-batching should win.
        { clients: 1000, rooms: 1, single: true, steps: HOT_LADDER, stepMs: 3000 },
      ],
      latencyMs: 5000,
    };

const elapsed = () => {
  const seconds = Math.round((Date.now() - STARTED) / 1000);
  return `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
};

const bench = {
  root: ROOT,
  quick: QUICK,
  redisPid: undefined,
  log: (line) => process.stderr.write(`[${elapsed()}] ${line}\n`),
  token: (roles) => jwt.sign({ sub: 'bench', companyId: 'acme', branchIds: ['*'], roles }, SECRET, { expiresIn: '1h' }),
  tokenFor: (claims) => jwt.sign(claims, SECRET, { expiresIn: '1h' }),
  channels: (rooms) => Array.from({ length: rooms }, (_, i) => `branch:b${i}`),
  pastDeadline: () => Date.now() - STARTED > BUDGET_MS,
};

/** Every arm runs with --expose-gc and the GC hook, so the memory scenario can force a full GC. */
const NODE_ARGS = ['--expose-gc', '--import', './bench/gc-preload.mjs'];
/** The worker flags, read from dist/ (built by main() first; a BENCH_DIST A/B runs both builds with them). */
const workerFlags = () => createRequire(import.meta.url)(join(ROOT, 'dist/primary/worker-flags.js')).WORKER_NODE_FLAGS;

async function untilLive(url) {
  for (let attempt = 0; attempt < 600; attempt++) {
    const ok = await fetch(`${url}/health/live`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`${url} never became live`);
}

/** Switchboard's own publish-to-deliver histogram (cumulative buckets, seconds). */
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

/** Quantiles (the upper bound of their bucket, ms) of what was observed between two scrapes. */
function serverSide(before, after) {
  if (after.length === 0 || before.length !== after.length) return undefined;
  const delta = after.map(([le, count], i) => [le, count - before[i][1]]);
  const total = delta[delta.length - 1][1];
  const upTo = (q) => (delta.find(([, count]) => count >= q * total)?.[0] ?? Infinity) * 1000;
  return { events: total, p50UpToMs: upTo(0.5), p99UpToMs: upTo(0.99) };
}

/** BENCH_PROFILE=1: a CPU profile per server process (both arms, so that they can be diffed). */
// Both server arms run with the Node flags of a worker that owns one core (workerFlags above), as a
// worker of the cluster runs: the server is pinned to CPU 0. Bare Socket.IO gets them too, so that
// no ratio owes anything to them. BENCH_NODE_ARGS adds more (a diagnostic: `--perf-basic-prof` for
// perf, `--import ./bench/lag-preload.mjs`).
const profileArgs = () => [
  ...workerFlags(),
  ...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=bench/results/prof'] : []),
  ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
];

const ARMS = {
  bare: async () => {
    const port = await freePort();
    const child = await pinned(0, [process.execPath, ...NODE_ARGS, ...profileArgs(), 'bench/bare-server.mjs'], {
      cwd: ROOT,
      env: { PORT: String(port), JWT_SECRET: SECRET },
      ready: /listening/,
    });
    return { child, url: `http://127.0.0.1:${port}`, replay: false, histogram: async () => [], serverSide: () => undefined };
  },
  /** `limits: 'lifted'` (the throughput arms) or `'default'` (the hostile scenarios: what a deployment runs). */
  switchboard: async (redisUrl, { limits = 'lifted', env = {} } = {}) => {
    const port = await freePort();
    const child = await pinned(0, [process.execPath, ...NODE_ARGS, ...profileArgs(), (process.env.BENCH_DIST ?? 'dist') + '/main.js'], {
      cwd: ROOT,
      env: {
        PORT: String(port),
        HOST: '127.0.0.1',
        JWT_SECRET: SECRET,
        LOG_FORMAT: 'json',
        LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'log',
        NODE_ENV: 'production',
        DRAIN_DEADLINE_SECONDS: '1',
        // The bench drives one company far harder than a tenant would: it lifts the per-tenant
        // admission limits, not any per-socket work.
        ...(limits === 'lifted' ? { CONNECTIONS_PER_COMPANY: '0', CONNECTIONS_PER_IP: '0', RATE_LIMIT_PER_USER: '1000000' } : {}),
        ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
        // BENCH_SB_ENV="KEY=value KEY=value": settings for the Switchboard arms only (a config A/B).
        ...Object.fromEntries(
          (process.env.BENCH_SB_ENV ?? '')
            .split(' ')
            .filter(Boolean)
            .map((pair) => pair.split('=')),
        ),
        ...env,
      },
    });
    const url = `http://127.0.0.1:${port}`;
    await untilLive(url);
    return { child, url, replay: true, histogram: () => histogram(url), serverSide, stop: () => stop(child) };
  },
};

/** Issue 13's hostile scenarios, each on a fresh process with default limits (see bench/hostile.mjs). */
async function runHostile(redisUrl) {
  bench.log('hostile scenarios: starting');
  const hostile = new HostileScenarios(bench, (env) => ARMS.switchboard(env.REDIS_URL, { limits: 'default', env }));
  // --hostile=nested,churn,storms picks some (all by default).
  const picked = process.argv
    .find((arg) => arg.startsWith('--hostile='))
    ?.slice(10)
    .split(',');
  const wanted = (name) => !picked || picked.includes(name);
  return {
    nestedBodies: wanted('nested') ? await hostile.nestedBodies() : undefined,
    churn: wanted('churn') ? [await hostile.churn(), ...(QUICK ? [] : [await hostile.churn(redisUrl)])] : [],
    storms: wanted('storms') ? await hostile.storms() : undefined,
  };
}

function hostileReport(hostile) {
  const rows = [['hostile scenario', 'control p99 ms', 'control max ms', '/health/live p99 ms', 'missing', 'target']];
  // Scenarios left out with --hostile=... have no figures, and no row.
  const add = (label, figures) =>
    figures &&
    rows.push([
      label,
      fixed(figures.deliver.p99, 1),
      fixed(figures.deliver.max, 0),
      fixed(figures.live.p99, 1),
      String(figures.missing),
      '<= 100 ms',
    ]);
  add('calm (no attack)', hostile.storms?.calm);
  add('nested 4 MB bodies, no token', hostile.nestedBodies?.unauthenticated);
  add('nested 4 MB bodies, service token', hostile.nestedBodies?.authenticated);
  add('1,000 refused connections in flight, one IP', hostile.storms?.refusedConnections);
  add('2,000 unauthenticated sessions, one IP', hostile.storms?.unauthenticatedSessions);
  add('10,000-message bursts, one socket', hostile.storms?.messageBurst);
  const churn = [['channel churn', 'engine', 'count', 'heap growth MB', 'target']];
  for (const run of hostile.churn) {
    churn.push([
      'connect-subscribe-disconnect, distinct user channels',
      run.engine,
      String(run.sockets.cycles),
      fixed(run.sockets.heapGrowthMb, 1),
      'flat',
    ]);
    churn.push(['one socket, distinct branch names', run.engine, String(run.names.channels), fixed(run.names.heapGrowthMb, 1), 'flat']);
  }
  return { rows, churn };
}

const layoutKey = (layout) => `${layout.clients}x${layout.rooms}${layout.single ? '-single' : ''}`;
/** `--layouts=1000x1-single,5000x100` runs only those layouts (of the plan), to measure one thing. */
const ONLY_LAYOUTS = process.argv
  .find((arg) => arg.startsWith('--layouts='))
  ?.slice('--layouts='.length)
  .split(',');
const layouts = () => PLAN.layouts.filter((layout) => !ONLY_LAYOUTS || ONLY_LAYOUTS.includes(layoutKey(layout)));

/**
 * The fan-out layouts on every arm at once: all servers are started (each alone on CPU 0 while its
 * step runs; the others idle), and each layout's ladders climb in lockstep (see interleavedFanOut).
 */
async function runArms(arms) {
  const started = [];
  const results = Object.fromEntries(arms.map(([name]) => [name, { fanOut: {} }]));
  try {
    for (const [name, start] of arms) {
      bench.log(`arm ${name}: starting`);
      const arm = { name, ...(await start()) };
      started.push({ name, arm, scenarios: new Scenarios(bench, arm) });
    }
    for (const layout of layouts()) {
      const key = layoutKey(layout);
      const then = layout.primary
        ? async ({ name, scenarios }, context, ownBest, bests) => {
            // Half of bare's saturation (bare's own best when bare is not in the run).
            const bareBest = bests.bare ?? ownBest;
            const rate = Math.max(1000, Math.round((bareBest || layout.steps[0]) / 2));
            const extra = { latency: await scenarios.latency(context, rate, PLAN.latencyMs) };
            bench.log(
              `${name}: latency at ${rate}/s: p50 ${fixed(extra.latency.p50, 1)} ms, p95 ${fixed(extra.latency.p95, 1)} ms, p99 ${fixed(extra.latency.p99, 1)} ms`,
            );
            if (scenarios.arm.replay) extra.replay = await scenarios.replay(context, 100);
            return extra;
          }
        : undefined;
      const byArm = await interleavedFanOut(bench, started, layout, then);
      for (const [name, fanOut] of Object.entries(byArm)) results[name].fanOut[key] = fanOut;
    }
  } finally {
    for (const { arm, scenarios } of started) {
      for (const helper of scenarios.helpers) helper.kill('SIGKILL');
      await stop(arm.child);
    }
  }
  return results;
}

function report(results) {
  const names = ['bare', 'switchboard-memory', 'switchboard-redis'];
  const [bare, memory, redis] = names.map((name) => results.arms[name]);
  const rows = [['scenario', 'bare', 'sb memory', 'ratio', 'sb redis', 'ratio', 'target']];
  const add = (label, get, digits, target) => {
    const value = (arm) => (arm ? get(arm) : NaN);
    const [b, m, r] = [value(bare), value(memory), value(redis)];
    rows.push([label, fixed(b, digits), fixed(m, digits), fixed(m / b, 2), fixed(r, digits), fixed(r / b, 2), target]);
  };
  for (const layout of layouts()) {
    const key = layoutKey(layout);
    const rooms = `${layout.rooms} room${layout.rooms === 1 ? '' : 's'}`;
    // One room is judged at >= 99.9 % and p99 <= 500 ms (its serial fan-out floor), the others at 100 % and 50 ms.
    const label = layout.single
      ? `hot channel deliveries/s, N=${layout.clients}, single publishes (99.9 %, p99 <= 500 ms)`
      : `fan-out deliveries/s, N=${layout.clients}, ${rooms}${layout.rooms === 1 ? ' (99.9 %, p99 <= 500 ms)' : ''}`;
    add(label, (arm) => arm.fanOut[key]?.best, 0, layout.single ? '>= 2x' : '>= 0.9x');
  }
  const primary = layouts().find((layout) => layout.primary);
  const key = primary ? layoutKey(primary) : undefined;
  for (const q of primary ? ['p50', 'p95', 'p99'] : []) {
    add(
      `latency ${q} ms at half bare saturation, N=${primary.clients}`,
      (arm) => arm.fanOut[key]?.latency?.[q],
      1,
      q === 'p99' ? '<= 25 ms' : '',
    );
  }
  if (primary) add(`replay s, ${primary.clients} clients 100 behind`, (arm) => arm.fanOut[key]?.replay?.seconds ?? NaN, 1, '<= 10 s');
  return rows;
}

async function main() {
  if (!process.argv.includes('--no-build')) {
    // Compiles only when dist/ is missing or older than src/ (as `npm start` does): a run right
    // after `npm test` (CI) does not spend ~10 s of its budget rebuilding what is fresh.
    const build = spawnSync(process.execPath, [join(ROOT, 'scripts/run-built.mjs'), '--build-only'], { cwd: ROOT, stdio: 'inherit' });
    if (build.status !== 0) process.exit(1);
  }
  const redisPort = await freePort();
  const redis = await pinned(
    Number(process.env.BENCH_REDIS_CPU ?? 1),
    ['redis-server', '--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      cwd: ROOT,
      ready: /Ready to accept/,
    },
  );
  bench.redisPid = redis.pid;
  const results = { date: new Date().toISOString(), quick: QUICK, machine: { cpus: 2, node: process.version }, plan: PLAN, arms: {} };
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
    if (PAIRS > 0 && arms.length > 0) {
      // The A/A pair is the error bar of a full run's rounds. --quick has one round, which no A/A
      // makes a measurement of (hence its warning), so it keeps those seconds within its budget.
      const aa = !QUICK && arms.some(([name]) => name === 'bare') ? () => ARMS.bare() : undefined;
      results.pairs = await runPairs(bench, arms, aa, { rounds: PAIRS, connections: PLAN.connections, stepMs: 3000, fixedLoad: !QUICK });
    }
    if (arms.length > 0) results.arms = await runArms(arms);
    if (!only || only.includes('hostile')) results.hostile = await runHostile(`redis://127.0.0.1:${redisPort}`);
    // How throughput grows with Redis masters (its own private servers; not in --quick: ~1 min).
    if ((!only && !QUICK) || only?.includes('redis-scaling')) results.redisScaling = await runRedisScaling({ root: ROOT, log: bench.log });
    // The Postgres outbox on both engines (the machine's Postgres; skipped without one).
    if (!only || only.includes('outbox')) {
      const start = (redisUrl) => (env) => ARMS.switchboard(redisUrl, { env });
      results.outbox = await runOutbox(
        [
          ['switchboard-memory', start(undefined)],
          ['switchboard-redis', start(`redis://127.0.0.1:${redisPort}`)],
        ],
        { root: ROOT, log: bench.log, quick: QUICK, token: bench.token(['staff']) },
      );
    }
  } finally {
    redis.kill('SIGKILL');
  }
  const rows = arms.length > 0 ? report(results) : [];
  results.table = rows;
  if (rows.length > 0) process.stdout.write(`\n${table(rows)}\n\n`);
  const pairRows = results.pairs ? pairsReport(results.pairs) : [];
  results.pairsTable = pairRows;
  if (pairRows.length > 0) process.stdout.write(`${table(pairRows)}\n\n`);
  // Quick ratios have swung 0.15x-2x between runs of the same commit: a smoke check, not a figure.
  if (QUICK && rows.length > 0) process.stdout.write(`${QUICK_WARNING}\n\n`);
  let hostileMarkdown = '';
  if (results.hostile) {
    const { rows: storms, churn } = hostileReport(results.hostile);
    results.hostileTable = { storms, churn };
    process.stdout.write(`${table(storms)}\n\n${table(churn)}\n\n`);
    hostileMarkdown = `\n\n${markdown(storms)}\n\n${markdown(churn)}`;
  }
  let scalingMarkdown = '';
  if (results.redisScaling) {
    const scaling = redisScalingReport(results.redisScaling);
    results.redisScalingTable = scaling;
    process.stdout.write(`${table(scaling)}\n\n`);
    scalingMarkdown = `\n\n${markdown(scaling)}`;
  }
  let outboxMarkdown = '';
  if (results.outbox && !results.outbox.skipped) {
    const outbox = outboxReport(results.outbox);
    results.outboxTable = outbox;
    process.stdout.write(`${table(outbox)}\n\n`);
    outboxMarkdown = `\n\n${markdown(outbox)}`;
  }
  // A fixed-load probe (--steps) is a measurement aid, not a run to keep: bench/results/probe/ is not tracked.
  const folder = STEPS ? join(ROOT, 'bench', 'results', 'probe') : join(ROOT, 'bench', 'results');
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `${results.date.slice(0, 19).replace(/:/g, '-')}${QUICK ? '-quick' : ''}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(
    file.replace(/\.json$/, '.md'),
    `${QUICK ? `${QUICK_WARNING}\n\n` : ''}${rows.length > 0 ? markdown(rows) : ''}${pairRows.length > 0 ? `\n\n${markdown(pairRows)}` : ''}${hostileMarkdown}${scalingMarkdown}${outboxMarkdown}\n`,
  );
  const charts = writeCharts(file, results);
  bench.log(`written ${file} and ${charts.length} ladder chart(s) in ${elapsed()}`);
  const problems = correctness(results);
  for (const problem of problems) bench.log(`PROBLEM: ${problem}`);
  // Speed is never asserted (the machine is shared); a scenario that loses or refuses things is.
  if (problems.length > 0) process.exit(1);
}

/** What must hold at any speed: nothing refused or lost, every replay recovered in full. */
function correctness(results) {
  const problems = [];
  const control = results.hostile
    ? [...Object.values(results.hostile.nestedBodies ?? {}), ...Object.values(results.hostile.storms ?? {})]
    : [];
  for (const figures of control)
    if (figures.missing > 0 || figures.refused > 0)
      problems.push(`hostile: the control tenant lost ${figures.missing} and was refused ${figures.refused} events`);
  for (const [name, list] of Object.entries(results.pairs?.samples ?? {})) {
    list.forEach((figures, i) => {
      const round = `${name} pairs round ${i + 1}`;
      if (figures.handshakesFailed > 0) problems.push(`${round}: ${figures.handshakesFailed} handshakes failed`);
      if (figures.refused > 0) problems.push(`${round}: ${figures.refused} publishes refused`);
      // Bare Socket.IO promises no delivery; Switchboard loses nothing at a load this far below saturation.
      if (name.startsWith('switchboard') && figures.fixedLoad.completion !== undefined && !(figures.fixedLoad.completion >= 1))
        problems.push(`${round}: the fixed load delivered ${figures.fixedLoad.completion} of its events`);
    });
  }
  for (const [name, outbox] of Object.entries(results.outbox?.skipped ? {} : (results.outbox ?? {}))) {
    if (outbox.latency.received !== outbox.latency.rows || outbox.throughput.delivered !== outbox.throughput.rows)
      problems.push(
        `outbox ${name}: ${outbox.latency.received}/${outbox.latency.rows} paced and ${outbox.throughput.delivered}/${outbox.throughput.rows} bulk rows delivered`,
      );
  }
  for (const topology of results.redisScaling ?? [])
    if (topology.engine.failed > 0) problems.push(`redis scaling ${topology.label}: ${topology.engine.failed} engine publishes failed`);
  for (const [name, arm] of Object.entries(results.arms)) {
    for (const [layout, fanOut] of Object.entries(arm.fanOut)) {
      const replay = fanOut.replay;
      if (replay?.refused > 0)
        problems.push(
          `${name} ${layout}: ${replay.refused} publishes refused before the replay (HTTP status: count ${JSON.stringify(replay.statuses)})`,
        );
      if (replay && (replay.recovered !== replay.clients || replay.replayed !== replay.expectedReplayed)) {
        problems.push(
          `${name} ${layout}: replay recovered ${replay.recovered}/${replay.clients}, ${replay.replayed}/${replay.expectedReplayed} events`,
        );
      }
      const below = fanOut.steps.find((step) => step.ok && step.validatorCompletion !== undefined && step.validatorCompletion < 1);
      if (below)
        problems.push(
          `${name} ${layout}: socket.io-client saw ${(below.validatorCompletion * 100).toFixed(2)} % at ${below.deliveriesPerSecond}/s`,
        );
    }
  }
  return problems;
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error.stack ?? error}\n`);
  process.exit(1);
});
