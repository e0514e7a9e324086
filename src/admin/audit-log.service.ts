import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config';
import { RedisConnections } from '../redis/redis-connections.service';

/** What an admin did from the dashboard, and how it ended. */
export interface AuditEntry {
  readonly at: number;
  readonly companyId: string;
  /** The admin's user id (`sub`). */
  readonly actor: string;
  readonly action: string;
  /** What it acted on: a user id, a job id. */
  readonly target: string;
  /** `ok`, or the error code it ended with. */
  readonly outcome: string;
  readonly node: string;
}

/** Entries kept per company (the newest); older ones live on in the logs. */
export const AUDIT_KEEP = 1000;
const AUDIT_TTL_SECONDS = 30 * 24 * 3600;
const auditKey = (companyId: string) => `sb:{audit}:${companyId}`;

/**
 * The audit trail of admin actions: one JSON log line each (`msg: "audit"`, for the log
 * pipeline, kept as long as logs are), and the newest AUDIT_KEEP per company in Redis (shared by
 * every node) or in memory on the embedded engine, for the dashboard.
 */
@Injectable()
export class AuditLog {
  private readonly logger = new Logger('Audit');
  private readonly local = new Map<string, AuditEntry[]>();

  constructor(
    private readonly redis: RedisConnections,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async record(entry: Omit<AuditEntry, 'at' | 'node'>): Promise<AuditEntry> {
    const full: AuditEntry = { at: Date.now(), ...entry, node: this.config.nodeId };
    this.logger.log({ msg: 'audit', ...full });
    if (!this.redis.enabled) {
      const list = this.local.get(full.companyId) ?? [];
      list.unshift(full);
      list.length = Math.min(list.length, AUDIT_KEEP);
      this.local.set(full.companyId, list);
      return full;
    }
    const key = auditKey(full.companyId);
    // The log line above stands even when Redis cannot take the entry now.
    await this.redis
      .get('state')
      .multi()
      .lpush(key, JSON.stringify(full))
      .ltrim(key, 0, AUDIT_KEEP - 1)
      .expire(key, AUDIT_TTL_SECONDS)
      .exec()
      .catch((error: Error) => this.logger.warn(`audit entry not stored: ${error.message}`));
    return full;
  }

  /** The newest entries of a company, newest first. */
  async recent(companyId: string, limit = 50): Promise<AuditEntry[]> {
    if (!this.redis.enabled) return (this.local.get(companyId) ?? []).slice(0, limit);
    const raw = await this.redis.get('state').lrange(auditKey(companyId), 0, limit - 1);
    return raw.map((line) => JSON.parse(line) as AuditEntry);
  }
}
