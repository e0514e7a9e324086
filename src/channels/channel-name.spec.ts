import { parseChannel, tryParseChannel } from './channel-name';
import { channelRef, refFromKey } from './channel-ref';

describe('channel names', () => {
  it('parses the three kinds', () => {
    expect(tryParseChannel('company:acme')).toEqual({ kind: 'company', id: 'acme', name: 'company:acme' });
    expect(tryParseChannel('branch:B_1-x')).toEqual({ kind: 'branch', id: 'B_1-x', name: 'branch:B_1-x' });
    expect(tryParseChannel(`user:${'u'.repeat(64)}`)?.kind).toBe('user');
  });

  it.each([
    'company:acme ',
    'Company:acme',
    'company:',
    'company:a:b',
    'company:é',
    'company:\u0430cme',
    'group:x',
    '__proto__',
    `user:${'u'.repeat(65)}`,
  ])('refuses %j', (name) => {
    expect(tryParseChannel(name)).toBeUndefined();
    expect(() => parseChannel(name)).toThrow(/company:<id>, branch:<id> or user:<id>/);
  });

  it('refuses non-strings', () => {
    for (const value of [undefined, null, 1, ['company:acme'], { toString: () => 'company:acme' }]) {
      expect(tryParseChannel(value)).toBeUndefined();
    }
  });

  it('scopes keys by company and namespace, and parses them back', () => {
    const ref = channelRef('acme', 'orders', 'branch:b1');
    expect(ref).toEqual({ companyId: 'acme', namespace: 'orders', channel: 'branch:b1', key: 'acme/orders/branch:b1' });
    expect(refFromKey(ref.key)).toEqual(ref);
    expect(channelRef('globex', 'orders', 'branch:b1').key).not.toBe(ref.key);
    expect(refFromKey('socket-id-room')).toBeUndefined();
    expect(() => channelRef('a/b', 'orders', 'branch:b1')).toThrow();
  });
});
