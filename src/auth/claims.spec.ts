import { AppError } from '../common/app.errors';
import { principalFromClaims } from './claims';

const base = { sub: 'u1', companyId: 'acme', branchIds: ['b1'], roles: ['staff'], exp: 2_000_000_000 };
const reason = (claims: Record<string, unknown>): string => {
  try {
    principalFromClaims(claims);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('AUTH_INVALID');
    return (error as AppError).message;
  }
  throw new Error('claims were accepted');
};

describe('principalFromClaims', () => {
  it('maps claims onto a principal, exp in milliseconds', () => {
    expect(principalFromClaims({ ...base, jti: 'j1', iss: 'x', iat: 1_900_000_000 }, { now: 1_950_000_000_000 })).toEqual({
      id: 'u1',
      companyId: 'acme',
      branchIds: ['b1'],
      roles: ['staff'],
      expiresAt: 2_000_000_000_000,
      issuedAt: 1_900_000_000_000,
      jti: 'j1',
    });
  });

  it('defaults a missing branchIds to none, and accepts ["*"] and platform service and admin tokens', () => {
    expect(principalFromClaims({ ...base, branchIds: undefined }).branchIds).toEqual([]);
    expect(principalFromClaims({ ...base, branchIds: ['*'] }).branchIds).toEqual(['*']);
    expect(principalFromClaims({ ...base, companyId: '*', roles: ['service'] }).companyId).toBe('*');
    expect(principalFromClaims({ ...base, companyId: '*', roles: ['admin', 'service'] }).companyId).toBe('*');
  });

  it('refuses an iat in the future, beyond the clock tolerance, and an iat that is not a number', () => {
    const now = 1_950_000_000_000;
    expect(principalFromClaims({ ...base, iat: 1_950_000_004 }, { now, clockToleranceSeconds: 5 }).issuedAt).toBe(1_950_000_004_000);
    expect(() => principalFromClaims({ ...base, iat: 1_950_000_006 }, { now, clockToleranceSeconds: 5 })).toThrow(/issued in the future/);
    expect(() => principalFromClaims({ ...base, iat: 1_950_000_001 }, { now })).toThrow(/issued in the future/);
    for (const iat of ['1950000000', null, NaN, [1], {}])
      expect(() => principalFromClaims({ ...base, iat }, { now })).toThrow(/iat must be a number/);
  });

  it.each([
    [{ ...base, exp: undefined }, /exp/],
    [{ ...base, exp: '2000000000' }, /exp/],
    [{ ...base, sub: '' }, /sub/],
    [{ ...base, sub: 5 }, /sub/],
    [{ ...base, roles: [] }, /roles/],
    [{ ...base, roles: 'staff' }, /roles/],
    [{ ...base, roles: ['staff', 'root'] }, /unknown role "root"/],
    [{ ...base, companyId: '*' }, /reserved for platform tokens/],
    [{ ...base, companyId: '*', roles: ['service', 'staff'] }, /reserved for platform tokens/],
    [{ ...base, companyId: '*', roles: ['printer-agent'] }, /reserved for platform tokens/],
    [{ ...base, companyId: 'ac me' }, /companyId/],
    [{ ...base, companyId: ['acme'] }, /companyId/],
    [{ ...base, branchIds: ['b1', '*'] }, /branchIds/],
    [{ ...base, branchIds: ['b 1'] }, /branchIds/],
    [{ ...base, branchIds: { 0: 'b1' } }, /branchIds/],
    [{ ...base, jti: 7 }, /jti/],
  ])('refuses %j', (claims, message) => {
    expect(reason(claims as Record<string, unknown>)).toMatch(message);
  });

  it('refuses a payload that is not an object', () => {
    expect(() => principalFromClaims('token')).toThrow(AppError);
    expect(() => principalFromClaims([base])).toThrow(AppError);
  });
});
