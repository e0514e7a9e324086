import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppError, ErrorCode } from '../common/app.errors';
import { RedisConnections } from '../redis/redis-connections.service';
import { ANY, type Principal } from '../common/principal';
import { Revocations } from './revocations.service';

/** How long a ticket may wait for its one use: enough to open a stream, too short to matter if it leaks. */
export const TICKET_TTL_MS = 30_000;
/** Tickets waiting on one process (embedded engine): a bound, so a client minting in a loop cannot grow the heap. */
const MAX_LOCAL_TICKETS = 100_000;
/** Entries looked at per issue: expired ones go many times faster than new ones come. */
const SWEEP_PER_ISSUE = 64;

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

  /** A ticket for `principal`, valid `ttlMs` (never past the token's expiry). */
  async issue(principal: Principal, now = Date.now(), ttlMs = TICKET_TTL_MS): Promise<IssuedTicket> {
    if (principal.companyId === ANY) {
      throw new AppError(ErrorCode.FORBIDDEN, 'platform tokens (companyId "*") are for the HTTP API; streams need a tenant token');
    }
    const ticket = randomBytes(32).toString('base64url');
    const expiresAt = Math.min(now + ttlMs, principal.expiresAt);
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

  /**
   * Shortens a ticket's life to at most `ms` from now (an SSE stream's resume key once the stream
   * closed: a reconnect comes within seconds, and a key of a stream nobody resumes should not wait
   * for the token's expiry). Best effort: an unreachable Redis leaves the key to its own expiry.
   */
  async shorten(ticket: string, ms: number, now = Date.now()): Promise<void> {
    const key = keyOf(ticket);
    if (this.redis.enabled) {
      // Plain PEXPIRE (LT needs Redis 7): it may lengthen a key whose token ends sooner, but
      // redemption refuses a principal past its expiry anyway.
      await this.redis.get('state').pexpire(key, ms);
      return;
    }
    const entry = this.local.get(key);
    if (entry) entry.expiresAt = Math.min(entry.expiresAt, now + ms);
  }

  /**
   * Drops expired tickets, a bounded look at the oldest entries per call (on issue: the map is
   * touched only when it would grow). Tickets and stream resume keys live for very different
   * times, so insertion order is not expiry order: a live entry goes to the back instead.
   */
  private sweep(now: number): void {
    let budget = SWEEP_PER_ISSUE;
    for (const [key, entry] of this.local) {
      if (budget-- === 0) break;
      this.local.delete(key);
      if (entry.expiresAt > now) this.local.set(key, entry);
    }
  }
}

function keyOf(ticket: string): string {
  return `sb:ticket:${createHash('sha256').update(ticket).digest('base64url')}`;
}
