import type { Principal } from '../common/principal';
import { matches, type RevocationRule } from './revocations.service';
import { isKicked, type KickRule } from './session-kicks.service';

const principal = (overrides: Partial<Principal> = {}): Principal => ({
  id: 'u1',
  companyId: 'acme',
  branchIds: ['b1'],
  roles: ['staff'],
  expiresAt: 10_000,
  issuedAt: 1_000,
  jti: 't1',
  ...overrides,
});
const rule = (overrides: Partial<RevocationRule> = {}): RevocationRule => ({
  companyId: 'acme',
  revokedAt: 2_000,
  expiresAt: 100_000,
  ...overrides,
});

describe('revocation rules', () => {
  it('revoke a whole company: tokens issued up to the revocation, and tokens without iat; not later logins', () => {
    expect(matches(rule(), principal())).toBe(true);
    expect(matches(rule(), principal({ issuedAt: 2_000 }))).toBe(true);
    expect(matches(rule(), principal({ issuedAt: undefined }))).toBe(true);
    expect(matches(rule(), principal({ issuedAt: 2_001 }))).toBe(false);
  });

  it('revoke one user of one company, never a namesake in another company', () => {
    expect(matches(rule({ userId: 'u1' }), principal())).toBe(true);
    expect(matches(rule({ userId: 'u2' }), principal())).toBe(false);
    expect(matches(rule({ userId: 'u1' }), principal({ companyId: 'globex' }))).toBe(false);
  });

  it('revoke one token by jti whenever it was issued, and no other token of the user', () => {
    expect(matches(rule({ jti: 't1' }), principal({ issuedAt: 50_000 }))).toBe(true);
    expect(matches(rule({ jti: 't1' }), principal({ jti: 't2' }))).toBe(false);
    expect(matches(rule({ jti: 't1' }), principal({ jti: undefined }))).toBe(false);
  });
});

describe('kick rules', () => {
  const kick: KickRule = { id: 'k1', companyId: 'acme', userId: 'u1', at: 5_000 };

  it('end the sessions of that user opened up to the kick, and none opened after it', () => {
    expect(isKicked(kick, principal(), 5_000)).toBe(true);
    expect(isKicked(kick, principal(), 4_000)).toBe(true);
    expect(isKicked(kick, principal(), 5_001)).toBe(false);
  });

  it('touch no other user, and no namesake in another company', () => {
    expect(isKicked(kick, principal({ id: 'u2' }), 1)).toBe(false);
    expect(isKicked(kick, principal({ companyId: 'globex' }), 1)).toBe(false);
  });
});
