import type { Principal } from '../common/principal';
import { tryParseChannel } from './channel-name';
import { canSubscribe } from './channel-policy';

const principal = (overrides: Partial<Principal> = {}): Principal => ({
  id: 'u1',
  companyId: 'acme',
  branchIds: ['b1'],
  roles: ['staff'],
  expiresAt: Date.now() + 60_000,
  ...overrides,
});
const can = (p: Principal, name: string): boolean => canSubscribe(p, tryParseChannel(name) ?? (undefined as never));

describe('canSubscribe', () => {
  it('grants the own company, listed branches and own user only', () => {
    const p = principal();
    expect([can(p, 'company:acme'), can(p, 'branch:b1'), can(p, 'user:u1')]).toEqual([true, true, true]);
    expect([can(p, 'company:globex'), can(p, 'branch:b2'), can(p, 'user:u2')]).toEqual([false, false, false]);
  });

  it('treats ["*"] as every branch, but "*" inside a longer list as nothing special', () => {
    expect(can(principal({ branchIds: ['*'] }), 'branch:any')).toBe(true);
    expect(can(principal({ branchIds: ['b1', '*'] }), 'branch:any')).toBe(false);
  });

  it('lets admins follow any user of their company, and nobody else', () => {
    expect(can(principal({ roles: ['admin'] }), 'user:u9')).toBe(true);
    expect(can(principal({ roles: ['staff', 'printer-agent'] }), 'user:u9')).toBe(false);
  });

  it('never matches a platform company wildcard against a company channel', () => {
    expect(can(principal({ companyId: '*', roles: ['service'] }), 'company:acme')).toBe(false);
  });
});
