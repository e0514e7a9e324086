#!/usr/bin/env node
// Heap per idle authenticated connection, after a full GC: the steady figure behind the bench's
// "RSS per idle connection" (RSS moves by whole pages and swings ±20 % between runs here; the heap
// after a full GC repeats within 0.1 KB). Used to measure each per-connection change (issue 14).
//
//   node bench/heap-per-connection.mjs [--arm=switchboard|bare] [--dist=dist] [--count=3000] [--runs=2]
//
// The server (dist/main.js on the memory engine, or bench/bare-server.mjs) and the load client are
// fresh processes; 300 warm-up connections are opened and closed first.
import { fork } from 'node:child_process';
import { resolve } from 'node:path';
import jwt from 'jsonwebtoken';
import { freePort } from './lib/processes.mjs';

const option = (name, fallback) => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const ARM = option('arm', 'switchboard');
const DIST = resolve(option('dist', 'dist'));
const COUNT = Number(option('count', '3000'));
const RUNS = Number(option('runs', '2'));
const SECRET = 'bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

function ask(child, message, matches) {
  return new Promise((done) => {
    const onMessage = (reply) => {
      if (!matches(reply)) return;
      child.off('message', onMessage);
      done(reply);
    };
    child.on('message', onMessage);
    child.send(message);
  });
}

async function startServer(port) {
  const script = ARM === 'bare' ? 'bench/bare-server.mjs' : `${DIST}/main.js`;
  const server = fork(script, [], {
    execArgv: ['--expose-gc', '--import', './bench/gc-preload.mjs'],
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      HOST: '127.0.0.1',
      JWT_SECRET: SECRET,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      CONNECTIONS_PER_COMPANY: '0',
      CONNECTIONS_PER_IP: '0',
    },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const probe = ARM === 'bare' ? '/socket.io/?EIO=4&transport=polling' : '/health/live';
  for (let attempt = 0; attempt < 300; attempt++) {
    const up = await fetch(`http://127.0.0.1:${port}${probe}`).then(
      (response) => response.ok,
      () => false,
    );
    if (up) return server;
    await new Promise((done) => setTimeout(done, 100));
  }
  server.kill('SIGKILL');
  throw new Error(`${script} did not start`);
}

async function once() {
  const port = await freePort();
  const server = await startServer(port);
  const client = fork('bench/load-client.mjs', [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    await new Promise((done) => client.once('message', done));
    const token = jwt.sign({ sub: 'bench', companyId: 'acme', branchIds: ['*'], roles: ['staff'] }, SECRET, { expiresIn: '1h' });
    const url = `http://127.0.0.1:${port}`;
    const connect = (count) =>
      ask(client, { cmd: 'connect', url, token, count, channels: [], subscribe: false }, (m) => m.cmd === 'connected');
    const heap = async () => (await ask(server, 'bench:heap', (m) => typeof m?.heapUsed === 'number')).heapUsed;
    await connect(300);
    await ask(client, { cmd: 'close' }, (m) => m.cmd === 'closed');
    const before = await heap();
    const connected = await connect(COUNT);
    const after = await heap();
    if (connected.count !== COUNT) throw new Error(`only ${connected.count}/${COUNT} connected (${connected.firstError})`);
    return (after - before) / COUNT / 1024;
  } finally {
    client.kill('SIGKILL');
    server.kill('SIGKILL');
  }
}

const results = [];
for (let run = 0; run < RUNS; run++) results.push(await once());
process.stdout.write(`${ARM}: heap per idle connection ${results.map((kb) => `${kb.toFixed(2)} KB`).join(', ')} (${COUNT} connections)\n`);
