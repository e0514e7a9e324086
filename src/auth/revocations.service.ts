import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { EventBus } from '../bus/event-bus.service';
import { APP_CONFIG, type AppConfig } from '../config';
import { AppError, ErrorCode } from '../common/app.errors';
import { RedisConnections } from '../redis/redis-connections.service';
import { untilReplicated } from '../redis/replica-ack';
import type { Principal } from '../common/principal';

/**
 * Tokens that must no longer work: every token of a company, of one user, or one token (jti).
 * Company and user rules reject tokens issued before the revocation (a later login works); a jti
 * rule rejects that token whenever it was issued.
 */
export interface RevocationRule {
  readonly companyId: string;
  readonly userId?: string;
  readonly jti?: string;
  readonly revokedAt: number;
  /** The rule is forgotten after this (REVOCATION_TTL_SECONDS). */
  readonly expiresAt: number;
}

const RULES_KEY = 'sb:revocations';
const SIGNAL_KEY = '!signals/revoke';
const RELOAD_MS = 30_000;

function ruleId(rule: Pick<RevocationRule, 'companyId' | 'userId' | 'jti'>): string {
  return JSON.stringify([rule.companyId, rule.userId ?? null, rule.jti ?? null]);
}

export function matches(rule: RevocationRule, principal: Principal): boolean {
  if (rule.companyId !== principal.companyId) return false;
  if (rule.userId !== undefined && rule.userId !== principal.id) return false;
  if (rule.jti !== undefined) return rule.jti === principal.jti;
  return principal.issuedAt === undefined || principal.issuedAt <= rule.revokedAt;
}

/**
 * Revocations are checked on every handshake and HTTP call, so every instance keeps all rules in
 * memory (they are few): loaded from Redis at start, pushed to all instances through the bus when
 * made, and reloaded every 30 s in case a signal was missed. Listeners disconnect matching sockets.
 */
@Injectable()
export class Revocations implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Revocations');
  private readonly rules = new Map<string, RevocationRule>();
  private readonly listeners = new Set<(rule: RevocationRule) => void>();
  private reloader: NodeJS.Timeout | undefined;

  constructor(
    private readonly bus: EventBus,
    private readonly redis: RedisConnections,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    try {
      await this.bus.listen(
        SIGNAL_KEY,
        (event) => this.apply(event.data as RevocationRule),
        () => void this.reload(),
      );
    } catch (error) {
      this.logger.warn(`revocation signals unavailable until the bus recovers: ${(error as Error).message}`);
    }
    await this.reload();
    this.reloader = setInterval(() => void this.reload(), RELOAD_MS);
    this.reloader.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.reloader);
  }

  isRevoked(principal: Principal, now = Date.now()): boolean {
    for (const rule of this.rules.values()) if (rule.expiresAt > now && matches(rule, principal)) return true;
    return false;
  }

  /** Called for every new rule, on every instance (to disconnect matching sockets). */
  onRevoke(listener: (rule: RevocationRule) => void): void {
    this.listeners.add(listener);
  }

  async revoke(request: Pick<RevocationRule, 'companyId' | 'userId' | 'jti'>): Promise<RevocationRule> {
    const now = Date.now();
    const rule: RevocationRule = { ...request, revokedAt: now, expiresAt: now + this.config.jwt.revocationTtlSeconds * 1000 };
    // During a Sentinel failover the rule could land on a master about to be demoted, and be gone
    // for every node that starts later: the caller retries in a second instead.
    if (this.redis.stateWritesHeld)
      throw new AppError(ErrorCode.UNAVAILABLE, 'a Redis failover is under way; retry the revocation shortly', undefined, 1);
    if (this.redis.enabled) {
      const state = this.redis.get('state');
      await state.hset(RULES_KEY, ruleId(rule), JSON.stringify(rule));
      // A revocation a failover lost would let the token in again, and nobody would know.
      await untilReplicated(state, RULES_KEY, this.redis.replicaAckMs).catch((error: Error) => {
        throw new AppError(ErrorCode.UNAVAILABLE, `${error.message}; retry the revocation shortly`, undefined, 1);
      });
    }
    this.apply(rule);
    try {
      await this.bus.signal(SIGNAL_KEY, 'revoked', rule);
    } catch (error) {
      // Stored already: the others pick it up on their next reload, within 30 s.
      this.logger.warn(`revocation signal not sent: ${(error as Error).message}`);
    }
    return rule;
  }

  private apply(rule: RevocationRule): void {
    const id = ruleId(rule);
    const known = this.rules.get(id);
    if (known && known.revokedAt >= rule.revokedAt) return;
    this.rules.set(id, rule);
    for (const listener of this.listeners) listener(rule);
  }

  private async reload(): Promise<void> {
    const now = Date.now();
    for (const [id, rule] of this.rules) if (rule.expiresAt <= now) this.rules.delete(id);
    if (!this.redis.enabled) return;
    try {
      const stored = await this.redis.get('state').hgetall(RULES_KEY);
      const expired: string[] = [];
      for (const [id, json] of Object.entries(stored)) {
        const rule = JSON.parse(json) as RevocationRule;
        if (rule.expiresAt <= now) expired.push(id);
        else this.apply(rule);
      }
      if (expired.length > 0) await this.redis.get('state').hdel(RULES_KEY, ...expired);
    } catch (error) {
      this.logger.warn(`reloading revocations: ${(error as Error).message}`);
    }
  }
}
