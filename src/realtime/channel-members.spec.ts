import { ChannelMembers, type ChannelMember } from './channel-members';

const member = (): ChannelMember => ({ deliver: () => undefined, reset: () => undefined });

describe('ChannelMembers', () => {
  it('counts members per key and says when a key is left empty', () => {
    const members = new ChannelMembers();
    const [a, b] = [member(), member()];
    members.add('acme/orders/branch:b1', a);
    members.add('acme/orders/branch:b1', b);
    members.add('acme/orders/branch:b1', a);
    expect(members.count('acme/orders/branch:b1')).toBe(2);
    expect(members.remove('acme/orders/branch:b1', a)).toBe(false);
    expect(members.remove('acme/orders/branch:b1', a)).toBe(false);
    expect(members.remove('acme/orders/branch:b1', b)).toBe(true);
    expect(members.count('acme/orders/branch:b1')).toBe(0);
    expect(members.get('acme/orders/branch:b1')).toBeUndefined();
    expect(members.remove('acme/orders/branch:b2', a)).toBe(false);
  });
});
