import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { APP_CONFIG, type AppConfig } from '../config';
import type { Principal } from '../common/principal';
import { Revocations } from './revocations.service';

/**
 * Principals of tokens that have verified, by token string, so that a service publishing all day
 * (or a reconnect storm) does not pay for the same signature check thousands of times a second.
 * Verification was ~7 % of a publish's CPU; a lookup is a hash of the string.
 *
 * What keeps it safe:
 * - only a token that passed every check is stored, and its principal is the one those checks made;
 * - an entry is never returned at or past its token's `exp` (checked on every lookup, not left to
 *   the LRU's own clock);
 * - revocation is still checked on every use by the callers; a new revocation rule also empties
 *   the cache, so nothing remembered outlives a kill switch;
 * - bounded (AUTH_CACHE_TOKENS entries, least recently used out first); tokens are at most 8 KB.
 *
 * Entries are frozen: one principal object is shared by every socket and request of a token.
 */
@Injectable()
export class PrincipalCache implements OnModuleInit {
  private readonly entries: LRUCache<string, Principal> | undefined;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly revocations: Revocations,
  ) {
    this.entries = config.jwt.cacheTokens > 0 ? new LRUCache<string, Principal>({ max: config.jwt.cacheTokens }) : undefined;
  }

  onModuleInit(): void {
    this.revocations.onRevoke(() => this.entries?.clear());
  }

  get size(): number {
    return this.entries?.size ?? 0;
  }

  /** The principal of a token that verified before and has not expired since. */
  get(token: string, now = Date.now()): Principal | undefined {
    const principal = this.entries?.get(token);
    if (principal === undefined) return undefined;
    if (principal.expiresAt <= now) {
      this.entries?.delete(token);
      return undefined;
    }
    return principal;
  }

  /** Stores what verifying `token` produced; returns the (frozen) principal to use. */
  remember(token: string, principal: Principal, now = Date.now()): Principal {
    const frozen = Object.isFrozen(principal) ? principal : freeze(principal);
    if (this.entries && frozen.expiresAt > now) this.entries.set(token, frozen);
    return frozen;
  }
}

function freeze(principal: Principal): Principal {
  Object.freeze(principal.branchIds);
  Object.freeze(principal.roles);
  return Object.freeze(principal);
}
