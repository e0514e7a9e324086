import { MemoryPresenceStore } from './memory-presence.store';

const KEY = 'acme/presence/branch:b1';
const GRACE = 10_000;
const TTL = 60_000;

describe('MemoryPresenceStore: the grace period and the sweep', () => {
  it('keeps a user who comes back within the grace period (a reload): no second join, no departure', async () => {
    const store = new MemoryPresenceStore();
    expect((await store.join(KEY, 'u1', 'n1|s1', 0)).first).toBe(true);
    expect(await store.leave(KEY, 'u1', 'n1|s1', 1_000)).toEqual({ last: true });
    expect((await store.join(KEY, 'u1', 'n1|s2', 5_000)).first).toBe(false);
    expect(await store.removeIfGone(KEY, 'u1', 1_000 + GRACE, GRACE)).toBe(false);
    expect((await store.list(KEY)).map((member) => member.connections)).toEqual([1]);
  });

  it('removes a user once the grace period after their last connection has passed, not before', async () => {
    const store = new MemoryPresenceStore();
    await store.join(KEY, 'u1', 'n1|s1', 0);
    await store.join(KEY, 'u1', 'n1|s2', 0);
    expect(await store.leave(KEY, 'u1', 'n1|s1', 1_000)).toEqual({ last: false });
    expect(await store.leave(KEY, 'u1', 'n1|s2', 2_000)).toEqual({ last: true });
    expect(await store.removeIfGone(KEY, 'u1', 2_000 + GRACE - 1, GRACE)).toBe(false);
    expect(await store.removeIfGone(KEY, 'u1', 2_000 + GRACE, GRACE)).toBe(true);
    // Once: a second node racing to remove the same member finds nothing.
    expect(await store.removeIfGone(KEY, 'u1', 2_000 + GRACE, GRACE)).toBe(false);
    expect(await store.list(KEY)).toEqual([]);
  });

  it('sweeps out the connections of a dead node, then its users after the grace period', async () => {
    const store = new MemoryPresenceStore();
    await store.join(KEY, 'u1', 'dead|s1', 0);
    await store.join(KEY, 'u2', 'alive|s2', 0);
    const rules = { alive: new Set(['alive']), graceMs: GRACE, ttlMs: TTL };
    expect(await store.sweep({ ...rules, now: 1_000 })).toEqual([]);
    expect((await store.list(KEY)).find((member) => member.userId === 'u1')?.connections).toBe(0);
    expect(await store.sweep({ ...rules, now: 1_000 + GRACE })).toEqual([{ key: KEY, userId: 'u1' }]);
    expect((await store.list(KEY)).map((member) => member.userId)).toEqual(['u2']);
  });

  it('never counts a connection opened after the sweep began as a dead node’s', async () => {
    const store = new MemoryPresenceStore();
    await store.join(KEY, 'u1', 'new-node|s1', 5_000);
    expect(await store.sweep({ now: 5_000, alive: new Set(), graceMs: GRACE, ttlMs: TTL })).toEqual([]);
    expect((await store.list(KEY))[0].connections).toBe(1);
  });

  it('removes a member idle past the TTL even with a connection open, and keeps one that was touched', async () => {
    const store = new MemoryPresenceStore();
    await store.join(KEY, 'idle', 'n1|s1', 0);
    await store.join(KEY, 'busy', 'n1|s2', 0);
    expect(await store.touch(KEY, 'busy', TTL - 1)).toBe(true);
    expect(await store.sweep({ now: TTL, alive: new Set(['n1']), graceMs: GRACE, ttlMs: TTL })).toEqual([{ key: KEY, userId: 'idle' }]);
  });
});
