// The Postgres outbox (issue 16): commit-to-socket latency and drained rows/s, on the memory
// engine and on Redis. Needs the machine's Postgres (BENCH_POSTGRES_URL, default
// postgres://postgres@127.0.0.1:5432); without one it reports why and measures nothing.
//
// Latency: rows committed one per transaction at a steady rate, each carrying the bench's clock
// at commit; a subscribed client measures when it sees the event. Throughput: one committed
// statement of many rows, timed from its commit to the last event at the client.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import pg from 'pg';
import { io } from 'socket.io-client';
import { fixed } from './lib/stats.mjs';
import { sleep } from './lib/processes.mjs';

const SERVER = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';

async function admin(work) {
  const client = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function quantile(sorted, q) {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** One subscribed client; `seen` maps orderId → receive time (ms, this process's clock). */
async function subscriber(url, token) {
  const socket = io(`${url}/orders`, { transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true });
  const seen = new Map();
  const record = (envelope) => {
    if (envelope?.data?.orderId !== undefined && !seen.has(envelope.data.orderId)) seen.set(envelope.data.orderId, Date.now());
  };
  socket.on('order:updated', record);
  socket.on('batch', (batch) => batch.events.forEach(record));
  await new Promise((resolve, reject) => {
    socket.once('session', resolve);
    socket.once('connect_error', reject);
  });
  const ack = await socket.timeout(5000).emitWithAck('subscribe', { channel: 'branch:b1' });
  if (!ack.ok) throw new Error(`subscribe refused: ${JSON.stringify(ack)}`);
  return { socket, seen };
}

async function until(check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

async function measureArm(name, start, { root, log, quick, token }) {
  const db = `sb_bench_outbox_${process.pid}_${name.replace(/\W/g, '_')}`;
  await admin((client) => client.query(`DROP DATABASE IF EXISTS ${db}`).then(() => client.query(`CREATE DATABASE ${db}`)));
  const url = `${SERVER}/${db}`;
  const sql = new pg.Client({ connectionString: url });
  await sql.connect();
  let server;
  try {
    const { migrateOutbox } = createRequire(import.meta.url)(join(root, process.env.BENCH_DIST ?? 'dist', 'outbox/outbox.schema.js'));
    await migrateOutbox(sql);
    server = await start({ OUTBOX_DATABASE_URL: url });
    const client = await subscriber(server.url, token);
    const insert = (ids, sentAt) =>
      sql.query(
        `INSERT INTO switchboard_outbox (company, namespace, channel, event, data)
         SELECT 'acme', 'orders', 'branch:b1', 'order:updated', jsonb_build_object('orderId', id, 'sentAt', $2::float8) FROM unnest($1::text[]) AS id`,
        [ids, sentAt],
      );

    // Warm-up (JIT, the drainer's lock and LISTEN): not measured.
    await insert(['warm-0', 'warm-1'], Date.now());
    await until(() => client.seen.has('warm-1'), 10_000);

    // Latency: one row per transaction (autocommit) at `rate` rows/s.
    const rate = 200;
    const count = quick ? 200 : 1000;
    const sent = new Map();
    const began = Date.now();
    for (let i = 0; i < count; i++) {
      const wait = began + i * (1000 / rate) - Date.now();
      if (wait > 0) await sleep(wait);
      const at = Date.now();
      await insert([`lat-${i}`], at);
      sent.set(`lat-${i}`, at);
    }
    await until(() => client.seen.has(`lat-${count - 1}`) && [...sent.keys()].every((id) => client.seen.has(id)), 15_000);
    const latencies = [...sent]
      .filter(([id]) => client.seen.has(id))
      .map(([id, at]) => client.seen.get(id) - at)
      .sort((a, b) => a - b);

    // Throughput: one statement of `rows` rows, from its commit to the last event at the client.
    const rows = quick ? 2000 : 20_000;
    const ids = Array.from({ length: rows }, (_, i) => `bulk-${i}`);
    const t0 = Date.now();
    await insert(ids, t0);
    const committed = Date.now();
    const complete = await until(() => client.seen.has(ids[rows - 1]) && client.seen.size >= rows + count + 2, 120_000);
    const drainedMs = Date.now() - committed;
    const delivered = ids.filter((id) => client.seen.has(id)).length;
    client.socket.disconnect();
    const result = {
      latency: {
        rate,
        rows: count,
        received: latencies.length,
        p50: quantile(latencies, 0.5),
        p99: quantile(latencies, 0.99),
        max: latencies.at(-1),
      },
      throughput: { rows, delivered, complete, seconds: drainedMs / 1000, rowsPerSecond: delivered / (drainedMs / 1000) },
    };
    log(
      `outbox ${name}: commit-to-socket p50 ${fixed(result.latency.p50, 1)} ms, p99 ${fixed(result.latency.p99, 1)} ms (${latencies.length}/${count} at ${rate}/s); ` +
        `${delivered}/${rows} bulk rows in ${fixed(result.throughput.seconds, 2)} s = ${fixed(result.throughput.rowsPerSecond, 0)} rows/s`,
    );
    return result;
  } finally {
    await server?.stop?.();
    await sql.end().catch(() => undefined);
    await admin((client) => client.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)).catch(() => undefined);
  }
}

/**
 * `arms`: [name, start(env) → { url, stop }] (the bench's Switchboard arms). Returns per arm its
 * latency and throughput, or { skipped } when there is no Postgres to measure against.
 */
export async function runOutbox(arms, options) {
  const reachable = await admin(() => true).catch((error) => error.message);
  if (reachable !== true) {
    options.log(`outbox: skipped, no Postgres at ${SERVER} (${reachable})`);
    return { skipped: reachable };
  }
  const results = {};
  for (const [name, start] of arms) results[name] = await measureArm(name, start, options);
  return results;
}

export function outboxReport(results) {
  const rows = [['Postgres outbox', 'engine', 'commit-to-socket p50 ms', 'p99 ms', 'max ms', 'drained rows/s', 'rows delivered']];
  for (const [name, result] of Object.entries(results)) {
    if (!result?.latency) continue;
    rows.push([
      `${result.latency.rows} rows at ${result.latency.rate}/s, then ${result.throughput.rows} in one commit`,
      name.replace('switchboard-', ''),
      fixed(result.latency.p50, 1),
      fixed(result.latency.p99, 1),
      fixed(result.latency.max, 1),
      fixed(result.throughput.rowsPerSecond, 0),
      `${result.throughput.delivered}/${result.throughput.rows}`,
    ]);
  }
  return rows;
}
