// Server CPU per handshake, the figure behind the handshakes/s ratio (issue 14): starts one server
// pinned to CPU 0 (`bare`: bench/bare-server.mjs; `switchboard`: dist/main.js on the memory engine,
// NODE_ENV=production, per-tenant limits lifted as in the bench), opens N WebSocket sessions to
// /orders with the bench's raw load client pinned to CPU 1 (a warm-up of 500, then N twice), and
// divides the server's utime+stime (from /proc) by the handshakes. Build first (npm run build).
// usage: node bench/handshake-cpu.mjs <bare|switchboard> [N=5000] [--prof] [--after-publishes] [--worker-flags]
// --after-publishes floods the publish API first (100 channels, as bench/pairs.mjs does before its
// handshakes), so that Switchboard handshakes next to full histories. --worker-flags runs the server
// with a cluster worker's Node flags (dist/primary/worker-flags.js), as bench/run.mjs does.
// BENCH_NODE_ARGS adds Node flags to the server (--trace-gc, with BENCH_OUTPUT_DIR to keep its output).
// --prof writes a CPU profile of the server to bench/results/prof/. BENCH_DIST=<dir> runs another build (A/B).
// BENCH_REDIS_URL=redis://127.0.0.1:<port> runs Switchboard on the Redis engine (start that Redis yourself).
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import jwt from 'jsonwebtoken';
import { ask, cpuMs, freePort, pinned, stop } from './lib/processes.mjs';

const [arm = 'switchboard', count = '5000'] = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const SECRET = 'bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
const bare = arm === 'bare';
const port = await freePort();
const prof = process.argv.includes('--prof') ? ['--cpu-prof', '--cpu-prof-dir=bench/results/prof'] : [];
const env = bare
  ? { PORT: String(port), JWT_SECRET: SECRET }
  : {
      PORT: String(port),
      HOST: '127.0.0.1',
      JWT_SECRET: SECRET,
      LOG_FORMAT: 'json',
      NODE_ENV: 'production',
      CONNECTIONS_PER_COMPANY: '0',
      CONNECTIONS_PER_IP: '0',
      RATE_LIMIT_PER_USER: '1000000',
      ...(process.env.BENCH_REDIS_URL ? { REDIS_URL: process.env.BENCH_REDIS_URL } : {}),
    };
const workerFlags = process.argv.includes('--worker-flags')
  ? createRequire(import.meta.url)(resolve(process.env.BENCH_DIST ?? 'dist', 'primary/worker-flags.js')).WORKER_NODE_FLAGS
  : [];
const server = await pinned(
  0,
  [
    process.execPath,
    '--expose-gc',
    ...workerFlags,
    ...prof,
    ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
    bare ? 'bench/bare-server.mjs' : `${process.env.BENCH_DIST ?? 'dist'}/main.js`,
  ],
  {
    cwd: process.cwd(),
    env,
    ready: bare ? /listening/ : null,
  },
);
const url = `http://127.0.0.1:${port}`;
// Switchboard: until it answers (bounded: 30 s).
for (let attempt = 0; !bare && attempt < 300; attempt++) {
  if (
    await fetch(`${url}/health/live`).then(
      (response) => response.ok,
      () => false,
    )
  )
    break;
  await new Promise((resolve) => setTimeout(resolve, 100));
}
const token = jwt.sign({ sub: 'u1', companyId: 'acme', branchIds: ['b1'], roles: ['staff'] }, SECRET, { expiresIn: 3600 });
if (process.argv.includes('--after-publishes')) {
  const publisher = await pinned(1, [process.execPath, 'bench/publisher.mjs'], { cwd: process.cwd() });
  await ask(publisher, undefined, (message) => message.cmd === 'ready');
  const service = jwt.sign({ sub: 'bench', companyId: 'acme', branchIds: ['*'], roles: ['service'] }, SECRET, { expiresIn: 3600 });
  const channels = Array.from({ length: 100 }, (_, i) => `branch:b${i}`);
  for (const [ms, batch] of [
    [2000, 0],
    [1000, 100],
    [3000, 0],
    [3000, 100],
  ]) {
    const flood = await ask(publisher, { cmd: 'flood', url, token: service, ms, channels, batch }, (m) => m.cmd === 'flood');
    process.stdout.write(`${arm} publishes: ${flood.perSecond.toFixed(0)} events/s (batch ${batch}), ${flood.failed} refused\n`);
  }
  publisher.kill('SIGKILL');
}
const clients = await pinned(1, [process.execPath, 'bench/load-client.mjs'], { cwd: process.cwd() });
await ask(clients, undefined, (message) => message.cmd === 'ready');
for (const n of [500, Number(count), Number(count)]) {
  const before = cpuMs(server.pid);
  const result = await ask(
    clients,
    { cmd: 'connect', url, token, count: n, channels: [], subscribe: false },
    (m) => m.cmd === 'connected',
    300_000,
  );
  const spent = cpuMs(server.pid) - before;
  process.stdout.write(
    `${arm} ${n === 500 ? 'warm-up' : 'measured'}: ${result.count} handshakes at ${(result.count / (result.ms / 1000)).toFixed(0)}/s, ` +
      `${((spent * 1000) / result.count).toFixed(0)} µs of server CPU each, ${result.failed} failed\n`,
  );
  await ask(clients, { cmd: 'close' }, (message) => message.cmd === 'closed');
}
clients.kill('SIGKILL');
await stop(server);
