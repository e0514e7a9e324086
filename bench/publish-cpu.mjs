// Server CPU per publish request, the figure each change of the fast path is judged by (issue 14):
// starts dist/main.js (NODE_ENV=production, memory engine unless REDIS_URL is set) pinned to CPU 0,
// sends N POSTs with C in flight over keep-alive (after a warm-up), and divides the server's
// utime+stime (from /proc) by N. Build first (npm run build).
// usage: node bench/publish-cpu.mjs [N=20000] [C=16] [batch=0: single publishes; else events per batch] [--prof]
// --prof writes a CPU profile of the server to bench/results/prof/. BENCH_DIST=<dir> runs another build (A/B).
import { spawn } from 'node:child_process';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import jwt from 'jsonwebtoken';

const [N = 20000, C = 16, BATCH = 0] = process.argv
  .slice(2)
  .filter((a) => !a.startsWith('--'))
  .map(Number);
const prof = process.argv.includes('--prof');
const port = 3900 + Math.floor(Math.random() * 90);
const secret = 'bench-secret-0123456789-abcdefghijklmnop';
const args = [...(prof ? ['--cpu-prof', '--cpu-prof-dir=bench/results/prof'] : []), `${process.env.BENCH_DIST ?? 'dist'}/main.js`];
const server = spawn('taskset', ['-c', '0', process.execPath, ...args], {
  env: {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    JWT_SECRET: secret,
    NODE_ENV: 'production',
    LOG_FORMAT: 'json',
    CONNECTIONS_PER_IP: '0',
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});
const token = jwt.sign({ sub: 'svc', companyId: 'acme', branchIds: [], roles: ['service'] }, secret, { expiresIn: 3600 });
const agent = new http.Agent({ keepAlive: true, maxSockets: C });
const post = (path, body) =>
  new Promise((resolve) => {
    const r = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    r.on('error', () => resolve(0));
    r.end(body);
  });
const cpu = () => {
  const f = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10; // ms (USER_HZ 100)
};
const msg = (i) => ({
  namespace: 'orders',
  channel: `branch:b${i % 100}`,
  event: 'order:updated',
  data: { orderId: `o${i}`, pad: 'x'.repeat(120) },
});
// Until the server answers (bounded: 20 s); post() resolves 0 while nothing listens.
for (let i = 0; i < 200; i++) {
  if ((await post('/v1/publish', JSON.stringify(msg(0)))) === 202) break;
  await new Promise((r) => setTimeout(r, 100));
}
async function run(n) {
  let i = 0,
    ok = 0,
    bad = {};
  const c0 = cpu(),
    t0 = performance.now();
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (i < n) {
        const k = i++;
        const status = BATCH
          ? await post('/v1/publish/batch', JSON.stringify({ messages: Array.from({ length: BATCH }, (_, j) => msg(k * BATCH + j)) }))
          : await post('/v1/publish', JSON.stringify(msg(k)));
        if (status === 202) ok++;
        else bad[status] = (bad[status] ?? 0) + 1;
      }
    }),
  );
  const ms = performance.now() - t0,
    c = cpu() - c0;
  return {
    ok,
    bad,
    perSecond: Math.round((ok * (BATCH || 1)) / (ms / 1000)),
    cpuUsPerRequest: Math.round((c * 1000) / n),
    cpuUsPerEvent: Math.round((c * 1000) / (n * (BATCH || 1))),
  };
}
await run(Math.min(2000, N)); // warm-up
process.stdout.write(`${JSON.stringify(await run(N))}\n`);
server.kill('SIGTERM');
await new Promise((r) => server.on('exit', r));
