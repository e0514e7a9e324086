import type { AppConfig } from '../config';
import type { Principal } from '../common/principal';
import { PrincipalCache } from './principal-cache';
import type { Revocations } from './revocations.service';

const NOW = 1_900_000_000_000;
const principal = (id: string, expiresAt = NOW + 60_000): Principal => ({
  id,
  companyId: 'acme',
  branchIds: ['b1'],
  roles: ['service'],
  expiresAt,
});

function cacheOf(size: number): { cache: PrincipalCache; revoke: () => void } {
  let listener: (() => void) | undefined;
  const revocations = { onRevoke: (callback: () => void) => (listener = callback) } as unknown as Revocations;
  const cache = new PrincipalCache({ jwt: { cacheTokens: size } } as AppConfig, revocations);
  cache.onModuleInit();
  return { cache, revoke: () => listener?.() };
}

describe('PrincipalCache', () => {
  it('answers a remembered token with the same frozen principal until its exp, never at or after it', () => {
    const { cache } = cacheOf(10);
    const stored = cache.remember('t1', principal('u1'), NOW);
    expect(Object.isFrozen(stored) && Object.isFrozen(stored.roles) && Object.isFrozen(stored.branchIds)).toBe(true);
    expect(cache.get('t1', NOW + 59_999)).toBe(stored);
    expect(cache.get('t1', NOW + 60_000)).toBeUndefined();
    // Forgotten once expired, even if asked again with an earlier clock.
    expect(cache.get('t1', NOW)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('does not store a principal that has already expired', () => {
    const { cache } = cacheOf(10);
    cache.remember('old', principal('u1', NOW - 1), NOW);
    expect(cache.size).toBe(0);
  });

  it('is emptied by every revocation rule', () => {
    const { cache, revoke } = cacheOf(10);
    cache.remember('t1', principal('u1'), NOW);
    cache.remember('t2', principal('u2'), NOW);
    revoke();
    expect(cache.get('t1', NOW)).toBeUndefined();
    expect(cache.get('t2', NOW)).toBeUndefined();
  });

  it('holds at most AUTH_CACHE_TOKENS entries, the least recently used leaving first', () => {
    const { cache } = cacheOf(2);
    cache.remember('a', principal('a'), NOW);
    cache.remember('b', principal('b'), NOW);
    cache.get('a', NOW);
    cache.remember('c', principal('c'), NOW);
    expect(cache.size).toBe(2);
    expect(cache.get('a', NOW)?.id).toBe('a');
    expect(cache.get('b', NOW)).toBeUndefined();
  });

  it('stores nothing with AUTH_CACHE_TOKENS=0, and still returns the principal to use', () => {
    const { cache } = cacheOf(0);
    expect(cache.remember('t1', principal('u1'), NOW).id).toBe('u1');
    expect(cache.get('t1', NOW)).toBeUndefined();
  });
});
