import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import type { Logger as PinoLogger } from 'pino';
import type { Principal } from '../common/principal';
import { EventBus, type PublishRequest } from '../bus/event-bus.service';
import { AppError } from '../common/app.errors';
import { APP_CONFIG, type AppConfig, type OutboxConfig } from '../config';
import { ROOT_LOGGER } from '../logging/logging.module';
import { MetricsService } from '../metrics/metrics.service';
import { PublishService } from '../publish/publish.service';
import { DRAIN_LOCK_KEY, NOTIFY_CHANNEL, OUTBOX_TABLE, PARKED_TABLE } from './outbox.schema';

/** A row as read from the outbox. */
interface OutboxRow {
  readonly id: string;
  readonly company: string;
  readonly namespace: string;
  readonly channel: string;
  readonly event: string;
  readonly data: unknown;
  readonly idempotency_key: string | null;
  readonly correlation_id: string | null;
}

/** The outbox publishes for every tenant, each row naming its company: a platform service. */
const OUTBOX_PRINCIPAL: Principal = {
  id: 'outbox',
  companyId: '*',
  branchIds: ['*'],
  roles: ['service'],
  expiresAt: Number.POSITIVE_INFINITY,
};

/**
 * Drains the Postgres transactional outbox (docs/outbox.md) into the bus. One node drains at a
 * time, holding a session advisory lock; the others try to take it every OUTBOX_POLL_MS.
 *
 * A round reads the oldest rows in id order, validates each as the HTTP API would (an invalid
 * one is moved to the parked table with its error, in one statement), publishes the rest in one
 * bus call (order kept per channel), then deletes them. Each row is published with its own
 * idempotency key (`outbox-<id>` unless it brings one), so a crash between publishing and
 * deleting publishes nothing twice: the next drainer's publish is answered as a duplicate.
 *
 * While Redis is unreachable the rows stay in Postgres (not in the outage queue in memory): a
 * round does not start while the breaker is open or the outage queue holds anything.
 */
@Injectable()
export class OutboxDrainer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger: PinoLogger;
  private readonly config: OutboxConfig | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private client: pg.Client | undefined;
  /** Whether this node holds the drain lock (for /health and tests). */
  draining = false;
  /** Rounds not started because Redis was unreachable (the rows waited in Postgres). */
  deferredRounds = 0;
  /** Rows published before (a drainer died before deleting them), answered as duplicates. */
  republished = 0;
  /** Of the oldest row, when the last round looked (for the metric). */
  private oldestRowAgeSeconds = 0;
  /** The last connection or query problem, logged once until it changes. */
  private lastProblem = '';

  constructor(
    private readonly bus: EventBus,
    private readonly publisher: PublishService,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(ROOT_LOGGER) root: PinoLogger,
    private readonly metrics: MetricsService,
  ) {
    this.config = config.outbox;
    this.logger = root.child({ context: 'Outbox' });
    if (this.config) {
      metrics.provide({ outbox: () => ({ draining: this.draining, oldestRowAgeSeconds: this.draining ? this.oldestRowAgeSeconds : 0 }) });
    }
  }

  onApplicationBootstrap(): void {
    if (this.config) this.running = this.run(this.config);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.wake();
    // Ending the connection frees the lock at once, so another node takes over within a poll.
    await this.client?.end().catch(() => undefined);
    await this.running;
  }

  private async run(config: OutboxConfig): Promise<void> {
    while (!this.stopped) {
      try {
        await this.session(config);
      } catch (error) {
        if (!this.stopped) this.problem(`outbox connection lost: ${(error as Error).message}`);
      }
      this.draining = false;
      if (!this.stopped) await this.pause(config.pollMs);
    }
  }

  /** One connection: wait for the lock, then drain until the connection fails or the app stops. */
  private async session(config: OutboxConfig): Promise<void> {
    const client = new pg.Client({
      connectionString: config.url,
      keepAlive: true,
      application_name: 'switchboard-outbox',
      // Postgres checks this session's socket once a second while a query runs: a drainer killed
      // while its DELETE waits on a lock has that DELETE cancelled and its drain lock freed, instead
      // of the DELETE completing for a dead process and the lock staying with it until then.
      options: '-c client_connection_check_interval=1000',
    });
    // Read through a function: the compiler does not see the listener's assignment and would narrow a local.
    let brokenBy: Error | undefined;
    const broken = (): Error | undefined => brokenBy;
    // Without a listener, a dropped connection would be an uncaught 'error' event.
    client.on('error', (error) => {
      brokenBy = error;
      this.wake();
    });
    client.on('notification', () => this.wake());
    this.client = client;
    try {
      await client.connect();
      while (!this.stopped && !broken()) {
        const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [DRAIN_LOCK_KEY]);
        if (rows[0].locked) break;
        await this.pause(config.pollMs);
      }
      if (this.stopped || broken()) return;
      this.draining = true;
      this.lastProblem = '';
      this.logger.info({ msg: 'outbox: this node drains' });
      await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
      while (!this.stopped && !broken()) {
        const more = await this.round(client, config.batchSize);
        if (!more) await this.pause(config.pollMs);
      }
      const failure = broken();
      if (failure) throw failure;
    } finally {
      this.draining = false;
      this.client = undefined;
      await client.end().catch(() => undefined);
    }
  }

  /** One batch; true when there may be more to read at once. */
  private async round(client: pg.Client, batchSize: number): Promise<boolean> {
    const outage = this.bus.outage;
    if (outage && (outage.breaker !== 'closed' || outage.held || outage.queued.events > 0)) {
      this.deferredRounds++;
      const { rows } = await client.query<{ age: number | null }>(
        `SELECT extract(epoch FROM now() - min(created_at))::float8 AS age FROM ${OUTBOX_TABLE}`,
      );
      this.oldestRowAgeSeconds = Math.max(0, rows[0].age ?? 0);
      return false;
    }
    const { rows } = await client.query<OutboxRow & { age: number }>(
      `SELECT id, company, namespace, channel, event, data, idempotency_key, correlation_id,
              extract(epoch FROM now() - created_at)::float8 AS age
       FROM ${OUTBOX_TABLE} ORDER BY id LIMIT $1`,
      [batchSize],
    );
    this.oldestRowAgeSeconds = rows.length === 0 ? 0 : Math.max(0, rows[0].age);
    if (rows.length === 0) return false;
    const ready: { row: OutboxRow; request: PublishRequest }[] = [];
    for (const row of rows) {
      try {
        ready.push({ row, request: this.requestOf(row) });
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        await this.park(client, row, error);
      }
    }
    const published = await this.publish(client, ready);
    if (published > 0) {
      this.metrics.outboxRows.inc({ outcome: 'published' }, published);
      this.logger.info({ msg: 'outbox published', count: published });
    }
    // Fewer published than read: a transient refusal or an outage began; wait for the next round.
    const all = published === ready.length;
    // A short round that published everything emptied the table of what was there when it read.
    if (all && rows.length < batchSize) this.oldestRowAgeSeconds = 0;
    return all && rows.length === batchSize;
  }

  private requestOf(row: OutboxRow): PublishRequest {
    const message: Record<string, unknown> = {
      namespace: row.namespace,
      channel: row.channel,
      event: row.event,
      data: row.data,
      companyId: row.company,
      idempotencyKey: row.idempotency_key ?? `outbox-${row.id}`,
    };
    return this.publisher.prepareMessage(OUTBOX_PRINCIPAL, message, row.correlation_id ?? `outbox-${row.id}`);
  }

  /**
   * Publishes in one bus call and deletes what was published; a refusal of the whole call is
   * retried row by row, so that one row refused for good is parked and the rest go on. Returns
   * how many rows left the outbox as published.
   */
  private async publish(client: pg.Client, ready: readonly { row: OutboxRow; request: PublishRequest }[]): Promise<number> {
    if (ready.length === 0) return 0;
    try {
      return await this.publishAndDelete(client, ready);
    } catch (error) {
      if (this.isTransient(error)) {
        this.problem(`outbox publish deferred: ${(error as Error).message}`);
        return 0;
      }
    }
    let published = 0;
    for (const entry of ready) {
      try {
        published += await this.publishAndDelete(client, [entry]);
      } catch (error) {
        if (this.isTransient(error)) {
          // In order: the rows after it on the same channel must not overtake it.
          this.problem(`outbox publish deferred: ${(error as Error).message}`);
          return published;
        }
        await this.park(client, entry.row, error as AppError);
      }
    }
    return published;
  }

  private async publishAndDelete(client: pg.Client, ready: readonly { row: OutboxRow; request: PublishRequest }[]): Promise<number> {
    const results = await this.bus.publish(ready.map((entry) => entry.request));
    let duplicates = 0;
    for (const result of results) if (result.duplicate) duplicates++;
    this.republished += duplicates;
    if (duplicates > 0) this.metrics.outboxRows.inc({ outcome: 'republished' }, duplicates);
    // A queued result (an outage began during the call) keeps its row: the retry is a duplicate.
    const done = ready.filter((_, index) => !('queued' in results[index])).map((entry) => entry.row.id);
    if (done.length > 0) await client.query(`DELETE FROM ${OUTBOX_TABLE} WHERE id = ANY($1::bigint[])`, [done]);
    return done.length;
  }

  /** UNAVAILABLE, a rate limit, or anything that is not a typed refusal: try again later. */
  private isTransient(error: unknown): boolean {
    if (!(error instanceof AppError)) return true;
    const status = error.httpStatus;
    return status === 429 || status >= 500;
  }

  private async park(client: pg.Client, row: OutboxRow, error: AppError): Promise<void> {
    const reason = { code: error.code, message: error.message, details: error.details ?? null };
    await client.query(
      `WITH moved AS (DELETE FROM ${OUTBOX_TABLE} WHERE id = $1 RETURNING *)
       INSERT INTO ${PARKED_TABLE} (id, company, namespace, channel, event, data, idempotency_key, correlation_id, created_at, error)
       SELECT id, company, namespace, channel, event, data, idempotency_key, correlation_id, created_at, $2::jsonb FROM moved`,
      [row.id, JSON.stringify(reason)],
    );
    this.metrics.outboxRows.inc({ outcome: 'parked' });
    this.logger.warn({ msg: 'outbox row parked', id: row.id, company: row.company, code: error.code, reason: error.message });
  }

  private problem(message: string): void {
    if (message === this.lastProblem) return;
    this.lastProblem = message;
    this.logger.warn({ msg: message });
  }

  /** Resolves after `ms`, or at once when woken (a NOTIFY, a lost connection, shutdown). */
  private pause(ms: number): Promise<void> {
    if (this.woken || this.stopped) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = undefined;
        resolve();
      }, ms);
      timer.unref();
      this.wakeUp = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        this.woken = false;
        resolve();
      };
    });
  }

  private wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }
}
