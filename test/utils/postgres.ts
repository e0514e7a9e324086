import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The machine's Postgres (trust auth on loopback); a suite gets a database of its own. */
const SERVER = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';

export interface TestDatabase {
  /** postgres://…/<name>: what OUTBOX_DATABASE_URL is set to. */
  readonly url: string;
  /** A connection of the test's own (a service's transaction, checks of the tables). */
  connect(): Promise<pg.Client>;
  /** Drops the database, ending any connection still open on it. */
  drop(): Promise<void>;
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `sb_${label}_${process.pid}_${randomBytes(3).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = `${SERVER}/${name}`;
  const clients = new Set<pg.Client>();
  return {
    url,
    async connect() {
      const client = new pg.Client({ connectionString: url });
      client.on('error', () => undefined);
      await client.connect();
      clients.add(client);
      return client;
    },
    async drop() {
      for (const client of clients) await client.end().catch(() => undefined);
      await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
