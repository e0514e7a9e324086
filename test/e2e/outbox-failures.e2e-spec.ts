import type pg from 'pg';
import { EventBus } from '../../src/bus/event-bus.service';
import { OutboxDrainer } from '../../src/outbox/outbox-drainer.service';
import { migrateOutbox } from '../../src/outbox/outbox.schema';
import { closeAllClients, connect, type TestClient } from '../utils/clients';
import { eventually } from '../utils/eventually';
import { createTestDatabase, type TestDatabase } from '../utils/postgres';
import { sample, scrape } from '../utils/metrics';
import { RedisServer } from '../utils/redis-server';
import { buildOnce, startServerProcess, type ServerProcess } from '../utils/server-process';
import { createTestApp, type TestApp } from '../utils/test-app';
import { staffToken, TEST_JWT_SECRET } from '../utils/tokens';

/** `count` rows on one channel, orderIds `<prefix>-0` …, in one committed statement. */
async function insertOrders(sql: pg.Client, prefix: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, index) => `${prefix}-${index}`);
  await sql.query(
    `INSERT INTO switchboard_outbox (company, namespace, channel, event, data)
     SELECT 'acme', 'orders', 'branch:b1', 'order:updated', jsonb_build_object('orderId', id) FROM unnest($1::text[]) AS id`,
    [ids],
  );
  return ids;
}

const orderIds = (client: TestClient) => client.envelopes('branch:b1').map((envelope) => (envelope.data as { orderId: string }).orderId);
const remaining = async (sql: pg.Client) => Number((await sql.query('SELECT count(*) AS n FROM switchboard_outbox')).rows[0].n);

/** Every id exactly once and in order: what the client received, against what was committed. */
function accounting(received: readonly string[], expected: readonly string[]) {
  const seen = new Set(received);
  return {
    missing: expected.filter((id) => !seen.has(id)).length,
    twice: received.length - seen.size,
    inOrder: received.every((id, index) => index === 0 || expected.indexOf(id) > expected.indexOf(received[index - 1])),
  };
}

describe('Postgres outbox under failure (Redis engine)', () => {
  let db: TestDatabase;
  let sql: pg.Client;
  let redis: RedisServer;

  beforeAll(async () => {
    buildOnce();
    db = await createTestDatabase('outbox_failures');
    sql = await db.connect();
    await migrateOutbox(sql);
    redis = await RedisServer.start({ persistent: true });
  });
  // Each test counts rows from an empty outbox, whatever an earlier one left.
  beforeEach(() => sql.query('DELETE FROM switchboard_outbox'));
  afterEach(() => closeAllClients());
  afterAll(async () => {
    await redis?.stop();
    await db?.drop();
  });

  it('kill -9 of the draining node between a publish and its delete: the other node finishes, 0 missing and 0 twice', async () => {
    const env = { REDIS_URL: redis.url, JWT_SECRET: TEST_JWT_SECRET, OUTBOX_DATABASE_URL: db.url, OUTBOX_POLL_MS: '100' };
    const doomed: ServerProcess = await startServerProcess({ ...env, OUTBOX_BATCH_SIZE: '5' });
    let survivor: TestApp | undefined;
    const blocker = await db.connect();
    try {
      await eventually('the process drains', () => doomed.output().includes('outbox: this node drains'), 10_000);
      survivor = await createTestApp({ ...env, OUTBOX_BATCH_SIZE: '50' });
      expect(survivor.app.get(OutboxDrainer).draining).toBe(false);
      const client = await connect(survivor.url, '/orders', { token: staffToken() });
      await client.subscribe('branch:b1');
      const ids = await insertOrders(sql, 'kill', 3000);
      await client.until((c) => orderIds(c).length >= 300, 10_000);
      // A SHARE lock lets the drainer read and publish, and holds its DELETE: the kill then lands
      // after a round's rows went out and before they left the table, the window a crash can hit.
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE switchboard_outbox IN SHARE MODE');
      // pg_stat_activity spans the cluster: other suites' drainers run in their own databases.
      let waiting: number | undefined;
      await eventually(
        'the drainer waits to delete what it published',
        async () => {
          const { rows } = await sql.query<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'switchboard-outbox'
               AND wait_event_type = 'Lock' AND query LIKE 'DELETE%'`,
          );
          waiting = rows[0]?.pid;
          return rows.length === 1;
        },
        10_000,
      );
      await doomed.kill9();
      const atKill = orderIds(client).length;
      // Postgres notices the dead client (client_connection_check_interval) and cancels the DELETE.
      await eventually(
        "the dead drainer's session ends",
        async () => (await sql.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [waiting])).rowCount === 0,
        10_000,
      );
      await blocker.query('ROLLBACK');
      await eventually('the survivor takes the lock', () => survivor!.app.get(OutboxDrainer).draining, 10_000);
      await client.until((c) => new Set(orderIds(c)).size === ids.length, 20_000);
      await eventually('the outbox is empty', async () => (await remaining(sql)) === 0, 5000);
      const republished = survivor.app.get(OutboxDrainer).republished;
      const verdict = accounting(orderIds(client), ids);
      process.stdout.write(
        `outbox kill -9: ${ids.length} rows, ${atKill} delivered at the kill, the survivor re-published ${republished} ` +
          `(answered as duplicates, not delivered again); missing ${verdict.missing}, twice ${verdict.twice}\n`,
      );
      // The killed round's rows were published and not deleted: the survivor sent them again.
      expect(republished).toBe(5);
      expect(verdict).toEqual({ missing: 0, twice: 0, inOrder: true });
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await doomed.kill9();
      await survivor?.close();
    }
  });

  it('while Redis is down the rows wait in Postgres, then go out once, in order', async () => {
    const server = await createTestApp({
      REDIS_URL: redis.url,
      OUTBOX_DATABASE_URL: db.url,
      OUTBOX_POLL_MS: '50',
      OUTBOX_BATCH_SIZE: '10',
    });
    try {
      await eventually('the app drains', () => server.app.get(OutboxDrainer).draining, 10_000);
      const client = await connect(server.url, '/orders', { token: staffToken() });
      await client.subscribe('branch:b1');
      const before = await insertOrders(sql, 'before', 3);
      await client.until((c) => orderIds(c).length === before.length);

      await redis.kill9();
      const drainer = server.app.get(OutboxDrainer);
      const bus = server.app.get(EventBus);
      const ids = await insertOrders(sql, 'outage', 200);
      const deferred = drainer.deferredRounds;
      // Several rounds come and go without publishing: each found Redis unreachable.
      await eventually('rounds are deferred', () => drainer.deferredRounds >= deferred + 5, 10_000);
      // At most the one round that met the outage is in the outage queue; the rest wait in Postgres.
      expect(bus.outage?.queued.events ?? 0).toBeLessThanOrEqual(10);
      expect(await remaining(sql)).toBe(ids.length);
      // What an operator alerts on: the rows are getting older, and nothing is lost meanwhile.
      expect(sample(await scrape(`${server.url}/metrics`), 'switchboard_outbox_oldest_row_age_seconds')).toBeGreaterThan(0);

      await redis.launch();
      await client.until((c) => new Set(orderIds(c)).size === before.length + ids.length, 20_000);
      await eventually('the outbox is empty', async () => (await remaining(sql)) === 0, 10_000);
      expect(accounting(orderIds(client), [...before, ...ids])).toEqual({ missing: 0, twice: 0, inOrder: true });
    } finally {
      await server.close();
    }
  });
});
