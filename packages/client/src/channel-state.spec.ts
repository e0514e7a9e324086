import { ChannelState, type ChannelHooks } from './channel-state.js';
import type { Envelope, Position } from './types.js';

const envelope = (seq: number, epoch = 'e1', channel = 'branch:b1'): Envelope => ({
  id: `${epoch}-${seq}`,
  channel,
  seq,
  epoch,
  event: 'order:updated',
  data: { orderId: seq },
  ts: 0,
});

function harness(stored?: Position) {
  const applied: number[] = [];
  const resyncs: [string, Position][] = [];
  const persisted: Position[] = [];
  const snapshots: unknown[] = [];
  let resubscribes = 0;
  const hooks: ChannelHooks = {
    dispatch: async (event) => {
      applied.push(event.seq);
    },
    resync: async (reason, position) => {
      resyncs.push([reason, position]);
    },
    snapshot: async (snapshot) => {
      snapshots.push(snapshot);
    },
    persist: async (position) => {
      persisted.push(position);
    },
    resubscribe: () => {
      resubscribes += 1;
      state.beginSubscribe();
    },
    report: (error) => {
      throw error;
    },
  };
  const state = new ChannelState('branch:b1', hooks, stored);
  return { state, applied, resyncs, persisted, snapshots, resubscribes: () => resubscribes };
}

const ack = (seq: number, extra: Record<string, unknown> = {}) => ({ ok: true as const, channel: 'branch:b1', epoch: 'e1', seq, ...extra });

describe('ChannelState: the client algorithm of docs/protocol.md §4', () => {
  it('starts a fresh subscription at the ack and applies later events in order, once', async () => {
    const h = harness();
    expect(h.state.beginSubscribe()).toBeUndefined();
    h.state.completeSubscribe(ack(5), undefined);
    for (const seq of [6, 7, 7, 6, 8]) h.state.receiveEvent(envelope(seq));
    await h.state.settled();
    expect(h.applied).toEqual([6, 7, 8]);
    expect(h.state.stats.duplicatesDropped).toBe(2);
    expect(h.state.position).toEqual({ epoch: 'e1', seq: 8 });
    expect(h.persisted.at(-1)).toEqual({ epoch: 'e1', seq: 8 });
  });

  it('holds replayed and live events until the ack, then applies them in seq order without duplicates', async () => {
    const h = harness({ epoch: 'e1', seq: 3 });
    expect(h.state.beginSubscribe()).toEqual({ epoch: 'e1', seq: 3 });
    // Replay (4, 5) arrives before the ack, a live event (6) too, and 5 again afterwards.
    for (const seq of [4, 5, 6, 5]) h.state.receiveEvent(envelope(seq));
    expect(h.applied).toEqual([]);
    h.state.completeSubscribe(ack(5, { recovered: true, missed: 2 }), { epoch: 'e1', seq: 3 });
    h.state.receiveEvent(envelope(7));
    await h.state.settled();
    expect(h.applied).toEqual([4, 5, 6, 7]);
    expect(h.resyncs).toEqual([]);
  });

  it('on recovered: false asks for a resync and continues from the ack, dropping what the reload covers', async () => {
    const h = harness({ epoch: 'old', seq: 40 });
    const since = h.state.beginSubscribe();
    h.state.receiveEvent(envelope(2, 'e1')); // published before the ack: part of the reloaded state
    h.state.completeSubscribe(ack(2, { recovered: false, reason: 'EPOCH_CHANGED' }), since);
    h.state.receiveEvent(envelope(3, 'e1'));
    await h.state.settled();
    expect(h.resyncs).toEqual([['EPOCH_CHANGED', { epoch: 'e1', seq: 2 }]]);
    expect(h.applied).toEqual([3]);
    expect(h.persisted).toContainEqual({ epoch: 'e1', seq: 2 });
  });

  it('never applies across a gap: it subscribes again from the last position instead', async () => {
    const h = harness();
    h.state.beginSubscribe();
    h.state.completeSubscribe(ack(1), undefined);
    h.state.receiveEvent(envelope(2));
    h.state.receiveEvent(envelope(4)); // 3 is missing
    expect(h.resubscribes()).toBe(1);
    expect(h.state.phase).toBe('subscribing');
    h.state.receiveEvent(envelope(5)); // held for the new subscribe
    h.state.receiveEvent(envelope(3));
    h.state.receiveEvent(envelope(4));
    h.state.completeSubscribe(ack(4, { recovered: true, missed: 2 }), { epoch: 'e1', seq: 2 });
    await h.state.settled();
    expect(h.applied).toEqual([2, 3, 4, 5]);
    expect(h.state.stats.gapsHealed).toBe(1);
  });

  it('treats an event of an unannounced epoch like a gap', async () => {
    const h = harness();
    h.state.beginSubscribe();
    h.state.completeSubscribe(ack(1), undefined);
    h.state.receiveEvent(envelope(1, 'e2'));
    await h.state.settled();
    expect(h.applied).toEqual([]);
    expect(h.resubscribes()).toBe(1);
  });

  it('applies channel:reset in stream order: resync, then events of the new epoch', async () => {
    const h = harness();
    h.state.beginSubscribe();
    h.state.completeSubscribe(ack(0), undefined);
    h.state.receiveEvent(envelope(1));
    h.state.receiveReset({ channel: 'branch:b1', epoch: 'e2', seq: 0, reason: 'EPOCH_CHANGED' });
    h.state.receiveEvent(envelope(1, 'e2'));
    await h.state.settled();
    expect(h.applied).toEqual([1, 1]);
    expect(h.resyncs).toEqual([['EPOCH_CHANGED', { epoch: 'e2', seq: 0 }]]);
    expect(h.state.position).toEqual({ epoch: 'e2', seq: 1 });
  });

  it('drops what was held when the connection is lost before the ack (it will be replayed)', async () => {
    const h = harness({ epoch: 'e1', seq: 1 });
    h.state.beginSubscribe();
    h.state.receiveEvent(envelope(2));
    h.state.abort();
    expect(h.state.phase).toBe('idle');
    h.state.receiveEvent(envelope(3));
    await h.state.settled();
    expect(h.applied).toEqual([]);
    expect(h.state.position).toEqual({ epoch: 'e1', seq: 1 });
  });

  it('runs async handlers one at a time and stores a position only after its handler settled', async () => {
    const order: string[] = [];
    const persisted: number[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const state = new ChannelState('branch:b1', {
      dispatch: async (event) => {
        order.push(`start ${event.seq}`);
        if (event.seq === 1) await gate;
        order.push(`end ${event.seq}`);
      },
      resync: async () => undefined,
      snapshot: async () => undefined,
      persist: async (position) => {
        persisted.push(position.seq);
      },
      resubscribe: () => undefined,
      report: () => undefined,
    });
    state.beginSubscribe();
    state.completeSubscribe(ack(0), undefined);
    state.receiveEvent(envelope(1));
    state.receiveEvent(envelope(2));
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['start 1']);
    expect(persisted).toEqual([0]);
    release();
    await state.settled();
    expect(order).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
    expect(persisted).toEqual([0, 1, 2]);
  });

  it('adopts a /sync snapshot ahead of the ack as its starting position', async () => {
    const h = harness();
    h.state.beginSubscribe();
    const snapshot = { epoch: 'e1', seq: 7, items: [] };
    h.state.completeSubscribe(ack(5, { snapshot }), undefined);
    for (const seq of [6, 7, 8]) h.state.receiveEvent(envelope(seq));
    await h.state.settled();
    expect(h.snapshots).toEqual([snapshot]);
    expect(h.applied).toEqual([8]);
  });

  it('ignores a /sync snapshot when the replay recovered (the events are applied instead)', async () => {
    const h = harness({ epoch: 'e1', seq: 4 });
    const since = h.state.beginSubscribe();
    h.state.receiveEvent(envelope(5));
    h.state.completeSubscribe(ack(5, { recovered: true, missed: 1, snapshot: { epoch: 'e1', seq: 5, items: [] } }), since);
    await h.state.settled();
    expect(h.snapshots).toEqual([]);
    expect(h.applied).toEqual([5]);
  });
});
