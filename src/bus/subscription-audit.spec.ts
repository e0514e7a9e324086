import { subscriptionsOf } from './subscription-audit';

const line = (name: string, sub: number, ssub: number) =>
  `id=7 addr=127.0.0.1:50000 laddr=127.0.0.1:6379 fd=9 name=${name} age=3 idle=0 flags=P db=0 sub=${sub} psub=0 ssub=${ssub} multi=-1 cmd=ssubscribe user=default`;

describe('subscriptionsOf (a CLIENT LIST reply, read for one connection name)', () => {
  const name = 'switchboard:node-1:bus-subscriber';

  it('counts SUBSCRIBE and SSUBSCRIBE channels of the named connection only', () => {
    const list = [
      line(name, 2, 5),
      line('switchboard:node-11:bus-subscriber', 9, 9),
      line('switchboard:node-1:adapter-sub', 4, 0),
      '',
    ].join('\n');
    expect(subscriptionsOf(list, name)).toBe(7);
  });

  it('adds up the shard subscribers of a Cluster (ioredis prefixes their names)', () => {
    const list = [line(`ioredis-cluster(ssubscriber):${name}`, 0, 3), line(`ioredis-cluster(ssubscriber):${name}`, 0, 4)].join('\n');
    expect(subscriptionsOf(list, name)).toBe(7);
  });

  it('says undefined, not 0, when the connection is not listed (it is reconnecting)', () => {
    expect(subscriptionsOf(line('other', 1, 1), name)).toBeUndefined();
    expect(subscriptionsOf('', name)).toBeUndefined();
  });

  it('reads 0 for a listed connection that holds nothing', () => {
    expect(subscriptionsOf(line(name, 0, 0), name)).toBe(0);
  });
});
