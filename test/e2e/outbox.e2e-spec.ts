import type pg from 'pg';
import { OutboxDrainer } from '../../src/outbox/outbox-drainer.service';
import { migrateOutbox } from '../../src/outbox/outbox.schema';
import { closeAllClients, connect, type TestClient } from '../utils/clients';
import { eventually } from '../utils/eventually';
import { orderUpdated, publish } from '../utils/http';
import { createTestDatabase, type TestDatabase } from '../utils/postgres';
import { freePort } from '../utils/redis-server';
import { sample, scrape } from '../utils/metrics';
import { createTestApp, type TestApp } from '../utils/test-app';
import { staffToken } from '../utils/tokens';

interface Row {
  company?: string;
  namespace?: string;
  channel?: string;
  event?: string;
  data: unknown;
}

const INSERT =
  'INSERT INTO switchboard_outbox (company, namespace, channel, event, data) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[])';

/** Inserts rows in one statement of the caller's transaction (or its own). */
async function insert(client: pg.Client, rows: readonly Row[]): Promise<void> {
  await client.query(INSERT, [
    rows.map((row) => row.company ?? 'acme'),
    rows.map((row) => row.namespace ?? 'orders'),
    rows.map((row) => row.channel ?? 'branch:b1'),
    rows.map((row) => row.event ?? 'order:updated'),
    rows.map((row) => JSON.stringify(row.data)),
  ]);
}

const orderIds = (client: TestClient, channel = 'branch:b1') =>
  client.envelopes(channel).map((envelope) => (envelope.data as { orderId: string }).orderId);

describe('Postgres transactional outbox', () => {
  let db: TestDatabase;
  let sql: pg.Client;
  let server: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase('outbox');
    sql = await db.connect();
    await migrateOutbox(sql);
    // Idempotent: a second migration (another node, a rerun) changes nothing and does not fail.
    await migrateOutbox(sql);
    // A long poll: every delivery below is woken by NOTIFY, not found by polling.
    server = await createTestApp({ OUTBOX_DATABASE_URL: db.url, OUTBOX_POLL_MS: '60000' });
    await eventually('the drainer holds the lock', () => server.app.get(OutboxDrainer).draining, 10_000);
  });
  afterEach(() => closeAllClients());
  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  const remaining = async (table = 'switchboard_outbox') => Number((await sql.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);

  it('delivers a committed row to the channel it names, then deletes it', async () => {
    const client = await connect(server.url, '/orders', { token: staffToken() });
    await client.subscribe('branch:b1');
    await sql.query('BEGIN');
    await insert(sql, [{ data: { orderId: 'committed-1', status: 'paid' } }]);
    await sql.query('COMMIT');
    await client.until((c) => orderIds(c).includes('committed-1'));
    const [envelope] = client.envelopes('branch:b1');
    expect(envelope).toMatchObject({ event: 'order:updated', channel: 'branch:b1', data: { orderId: 'committed-1', status: 'paid' } });
    expect(envelope.seq).toBeGreaterThan(0);
    expect(envelope.correlationId).toMatch(/^outbox-\d+$/);
    await eventually('the row is deleted', async () => (await remaining()) === 0, 5000);
  });

  it('never delivers a rolled-back row', async () => {
    const client = await connect(server.url, '/orders', { token: staffToken() });
    await client.subscribe('branch:b1');
    await sql.query('BEGIN');
    await insert(sql, [{ data: { orderId: 'rolled-back' } }]);
    await sql.query('ROLLBACK');
    await insert(sql, [{ data: { orderId: 'after-rollback' } }]);
    await client.until((c) => orderIds(c).includes('after-rollback'));
    expect(orderIds(client)).toEqual(['after-rollback']);
  });

  it('delivers the rows of one transaction in id order, to their own tenant only', async () => {
    const acme = await connect(server.url, '/orders', { token: staffToken('acme') });
    const globex = await connect(server.url, '/orders', { token: staffToken('globex') });
    await acme.subscribe('branch:b1');
    await globex.subscribe('branch:b1');
    const ids = Array.from({ length: 250 }, (_, index) => `o-${index}`);
    await sql.query('BEGIN');
    await insert(
      sql,
      ids.map((orderId) => ({ data: { orderId } })),
    );
    await insert(sql, [{ company: 'globex', data: { orderId: 'globex-only' } }]);
    await sql.query('COMMIT');
    await acme.until((c) => orderIds(c).length === ids.length, 10_000);
    await globex.until((c) => orderIds(c).length === 1);
    expect(orderIds(acme)).toEqual(ids);
    const seqs = acme.envelopes('branch:b1').map((envelope) => envelope.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(orderIds(globex)).toEqual(['globex-only']);
  });

  it('parks invalid rows with their typed error and goes on with the rest', async () => {
    const client = await connect(server.url, '/orders', { token: staffToken() });
    await client.subscribe('branch:b1');
    await insert(sql, [
      { namespace: 'payments', data: { orderId: 'bad-namespace' } },
      { data: { total: 3 } },
      { data: [1, 2] },
      { channel: 'Branch:B1', data: { orderId: 'bad-channel' } },
      { event: 'order:deleted', data: { orderId: 'bad-event' } },
      { data: { orderId: 'good-after-bad' } },
    ]);
    await client.until((c) => orderIds(c).includes('good-after-bad'));
    expect(orderIds(client)).toEqual(['good-after-bad']);
    await eventually('the invalid rows are parked', async () => (await remaining('switchboard_outbox_parked')) >= 5, 5000);
    const parked = (
      await sql.query<{ namespace: string; error: { code: string; details: { path: string }[] } }>(
        'SELECT namespace, error FROM switchboard_outbox_parked ORDER BY id',
      )
    ).rows;
    expect(parked.map((row) => row.error.code)).toEqual(Array(5).fill('VALIDATION_FAILED'));
    expect(parked.map((row) => row.error.details.map((detail) => detail.path))).toEqual([
      ['namespace'],
      ['data.orderId'],
      ['data'],
      ['channel'],
      ['event'],
    ]);
    // A row is deleted after the bus accepted it, so a client may see it a moment before Postgres does.
    await eventually('the good row is deleted', async () => (await remaining()) === 0, 5000);
    const metrics = await scrape(`${server.url}/metrics`);
    expect(sample(metrics, 'switchboard_outbox_rows_total', { outcome: 'parked' })).toBe(5);
    expect(sample(metrics, 'switchboard_outbox_draining')).toBe(1);
    expect(sample(metrics, 'switchboard_outbox_oldest_row_age_seconds')).toBe(0);
  });

  it('counts the rows it published', async () => {
    const published = async () =>
      sample(await scrape(`${server.url}/metrics`), 'switchboard_outbox_rows_total', { outcome: 'published' }) ?? 0;
    const before = await published();
    await insert(sql, [{ data: { orderId: 'counted-1' } }, { data: { orderId: 'counted-2' } }]);
    await eventually('two more rows published', async () => (await published()) === before + 2, 5000);
  });

  it('lets one node drain at a time; another takes over when it stops', async () => {
    const second = await createTestApp({ OUTBOX_DATABASE_URL: db.url, OUTBOX_POLL_MS: '200' });
    try {
      const drainers = () => [server, second].map((node) => node.app.get(OutboxDrainer).draining);
      expect(drainers()).toEqual([true, false]);
      await server.close();
      await eventually('the second node takes the lock', () => second.app.get(OutboxDrainer).draining, 5000);
      const client = await connect(second.url, '/orders', { token: staffToken() });
      await client.subscribe('branch:b1');
      await insert(sql, [{ data: { orderId: 'after-failover' } }]);
      await client.until((c) => orderIds(c).includes('after-failover'));
    } finally {
      await second.close();
    }
  });

  it('boots and serves without its database: the drainer keeps retrying, nothing crashes', async () => {
    const nowhere = await freePort();
    const lonely = await createTestApp({ OUTBOX_DATABASE_URL: `postgres://postgres@127.0.0.1:${nowhere}/none`, OUTBOX_POLL_MS: '50' });
    try {
      const client = await connect(lonely.url, '/orders', { token: staffToken() });
      await client.subscribe('branch:b1');
      expect((await publish(lonely.url, orderUpdated('branch:b1', 'over-http'))).status).toBe(202);
      await client.until((c) => orderIds(c).includes('over-http'));
      expect(lonely.app.get(OutboxDrainer).draining).toBe(false);
    } finally {
      await lonely.close();
    }
  });
});
