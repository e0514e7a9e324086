/**
 * `npm run outbox:migrate`: creates the outbox tables and trigger in OUTBOX_DATABASE_URL's
 * database (idempotent; docs/outbox.md). Prints the statements with `--print` instead, for a
 * service that keeps its own migrations.
 */
import pg from 'pg';
import { loadConfigFromEnvironment } from '../config';
import { migrateOutbox, OUTBOX_DDL } from './outbox.schema';

async function main(): Promise<void> {
  if (process.argv.includes('--print')) {
    process.stdout.write(`${OUTBOX_DDL.trim()}\n`);
    return;
  }
  const result = loadConfigFromEnvironment();
  if (!result.ok) {
    process.stderr.write(`${result.errors.join('\n')}\n`);
    process.exit(2);
  }
  if (!result.config.outbox) {
    process.stderr.write('OUTBOX_DATABASE_URL is not set\n');
    process.exit(2);
  }
  const client = new pg.Client({ connectionString: result.config.outbox.url });
  await client.connect();
  try {
    await migrateOutbox(client);
    process.stdout.write('outbox: tables switchboard_outbox and switchboard_outbox_parked are ready\n');
  } finally {
    await client.end();
  }
}

main().catch((error: Error) => {
  // The message only: pg's errors do not carry the URL, but a stack adds nothing for an operator.
  process.stderr.write(`outbox:migrate failed: ${error.message}\n`);
  process.exit(1);
});
