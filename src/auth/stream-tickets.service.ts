import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppError, ErrorCode } from '../common/app.errors';
import { RedisConnections } from '../redis/redis-connections.service';
import { ANY, type Principal } from './claims';
import { Revocations } from './revocations.service';

/** How long a ticket may wait for its one use: enough to open a stream, too short to matter if it leaks. */
export const TICKET_TTL_MS = 30_000;
/** Tickets waiting on one process (embedded engine): a bound, so a client minting in a loop cannot grow the heap. */
const MAX_LOCAL_TICKETS = 100_000;

export interface IssuedTicket {
  readonly ticket: string;
  /** Epoch ms: the earlier of 30 s from now and the token's own expiry. */
  readonly expiresAt: number;
}

/**
 * Short-lived, single-use tickets for transports that cannot send an Authorization header
 * (`EventSource`), so a JWT never travels in a URL (issue 16). A client exchanges its token for a
 * ticket (`POST /v1/stream-tickets`); the ticket stands for that token's principal (user, company,
 * branches, roles, expiry) for one redemption within 30 s.
 *
 * Only a hash of the ticket is stored, so the store (Redis, or this process on the embedded
 * engine) never holds a usable credential. With Redis, redemption is one GETDEL: of two nodes
 * redeeming the same ticket at once, exactly one gets the principal (replay-proof across a cluster).
 */
@Injectable()
export class StreamTickets {
  private readonly local = new Map<string, { principal: Principal; expiresAt: number }>();

  constructor(
    private readonly redis: RedisConnections,
    private readonly revocations: Revocations,
  ) {}

  async issue(principal: Principal, now = Date.now()): Promise<IssuedTicket> {
    if (principal.companyId === ANY) {
      throw new AppError(ErrorCode.FORBIDDEN, 'platform tokens (companyId "*") are for the HTTP API; streams need a tenant token');
    }
    const ticket = randomBytes(32).toString('base64url');
    const expiresAt = Math.min(now + TICKET_TTL_MS, principal.expiresAt);
    const key = keyOf(ticket);
    if (this.redis.enabled) {
      await this.redis.get('state').set(key, JSON.stringify(principal), 'PX', Math.max(1, expiresAt - now));
    } else {
      this.sweep(now);
      if (this.local.size >= MAX_LOCAL_TICKETS)
        throw new AppError(ErrorCode.LIMIT_EXCEEDED, 'too many stream tickets waiting; retry shortly', undefined, 1);
      this.local.set(key, { principal, expiresAt });
    }
    return { ticket, expiresAt };
  }

  /**
   * The principal a ticket stands for, once: a second redemption, an unknown or expired ticket is
   * AUTH_INVALID; a token that expired or was revoked since is AUTH_EXPIRED / REVOKED.
   */
  async redeem(ticket: unknown, now = Date.now()): Promise<Principal> {
    if (typeof ticket !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(ticket)) {
      throw new AppError(ErrorCode.AUTH_INVALID, 'not a stream ticket');
    }
    const key = keyOf(ticket);
    let principal: Principal | undefined;
    if (this.redis.enabled) {
      const stored = await this.redis.get('state').getdel(key);
      principal = stored === null ? undefined : (JSON.parse(stored) as Principal);
    } else {
      const entry = this.local.get(key);
      this.local.delete(key);
      principal = entry && entry.expiresAt > now ? entry.principal : undefined;
    }
    if (!principal) throw new AppError(ErrorCode.AUTH_INVALID, 'unknown, used or expired stream ticket');
    if (principal.expiresAt <= now) throw new AppError(ErrorCode.AUTH_EXPIRED, 'the token behind this ticket has expired');
    if (this.revocations.isRevoked(principal, now)) throw new AppError(ErrorCode.REVOKED, 'the token behind this ticket was revoked');
    return principal;
  }

  /** Drops expired tickets (called on issue: the map is touched only when it would grow). */
  private sweep(now: number): void {
    for (const [key, entry] of this.local) {
      // Insertion order is nearly expiry order (one TTL; only a token expiring sooner cuts one short,
      // and it then waits at most 30 s longer): stop at the first live one.
      if (entry.expiresAt > now) break;
      this.local.delete(key);
    }
  }
}

function keyOf(ticket: string): string {
  return `sb:ticket:${createHash('sha256').update(ticket).digest('base64url')}`;
}
