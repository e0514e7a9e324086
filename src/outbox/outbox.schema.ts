import type { ClientBase } from 'pg';

/** The table services insert into, inside their own transaction (docs/outbox.md). */
export const OUTBOX_TABLE = 'switchboard_outbox';
/** Rows that can never be published (invalid, or refused for good), with the reason. */
export const PARKED_TABLE = 'switchboard_outbox_parked';
/** NOTIFY channel: sent at commit by the insert trigger, so a rolled-back insert never wakes anyone. */
export const NOTIFY_CHANNEL = 'switchboard_outbox';
/**
 * The session advisory lock held by the one node that drains ("SWOB"). A session lock dies with
 * its connection, so a node that is killed frees it as soon as Postgres sees the socket close.
 */
export const DRAIN_LOCK_KEY = 0x53574f42;

/**
 * Idempotent DDL (`npm run outbox:migrate`, or the same statements in a service's own
 * migrations). One transaction under an advisory lock, so two nodes migrating at once do not
 * race on CREATE ... IF NOT EXISTS.
 */
export const OUTBOX_DDL = `
CREATE TABLE IF NOT EXISTS ${OUTBOX_TABLE} (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  company text NOT NULL,
  namespace text NOT NULL,
  channel text NOT NULL,
  event text NOT NULL,
  data jsonb NOT NULL,
  idempotency_key text,
  correlation_id text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS ${PARKED_TABLE} (
  id bigint PRIMARY KEY,
  company text NOT NULL,
  namespace text NOT NULL,
  channel text NOT NULL,
  event text NOT NULL,
  data jsonb NOT NULL,
  idempotency_key text,
  correlation_id text,
  created_at timestamptz NOT NULL,
  parked_at timestamptz NOT NULL DEFAULT now(),
  error jsonb NOT NULL
);
CREATE OR REPLACE FUNCTION ${OUTBOX_TABLE}_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('${NOTIFY_CHANNEL}', '');
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS ${OUTBOX_TABLE}_notify ON ${OUTBOX_TABLE};
CREATE TRIGGER ${OUTBOX_TABLE}_notify AFTER INSERT ON ${OUTBOX_TABLE}
  FOR EACH STATEMENT EXECUTE FUNCTION ${OUTBOX_TABLE}_notify();
`;

const MIGRATE_LOCK_KEY = 0x53574f4d;

export async function migrateOutbox(client: ClientBase): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATE_LOCK_KEY]);
    await client.query(OUTBOX_DDL);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
