import type { BusEngine, ChannelDrafts, EventDraft, PublishOutcome } from './bus-engine';
import { ResilientPublisher } from './resilient-publisher';

const draft = (id: string): EventDraft => ({ id, channel: 'branch:b1', event: 'order:updated', data: { id }, ts: 0 });

/** An engine that takes every publish and records what reached it, in order. */
function recordingEngine(): { engine: BusEngine; sent: string[]; flushed: () => Promise<void> } {
  const sent: string[] = [];
  let waiters: (() => void)[] = [];
  let seq = 0;
  const engine = {
    kind: 'redis',
    publishMany: (groups: readonly ChannelDrafts[]): Promise<PublishOutcome[][]> => {
      const outcomes = groups.map(({ drafts }) =>
        drafts.map((event) => {
          sent.push(event.id);
          return { id: event.id, seq: ++seq, epoch: 'e1', duplicate: false };
        }),
      );
      for (const wake of waiters.splice(0)) wake();
      return Promise.resolve(outcomes);
    },
  } as unknown as BusEngine;
  const flushed = () => new Promise<void>((resolve) => (waiters = [...waiters, resolve]));
  return { engine, sent, flushed };
}

describe('ResilientPublisher during a failover (hold / release)', () => {
  it('queues every publish while held and sends nothing, then flushes them in order on release', async () => {
    const { engine, sent, flushed } = recordingEngine();
    const publisher = new ResilientPublisher(engine, { maxEvents: 100, maxBytes: 1_000_000 });
    expect(await publisher.publish([{ key: 'k', drafts: [draft('before')] }])).toEqual([
      [{ id: 'before', seq: 1, epoch: 'e1', duplicate: false }],
    ]);

    const failover = publisher.hold();
    expect(await publisher.publish([{ key: 'k', drafts: [draft('a'), draft('b')] }])).toEqual([
      [
        { id: 'a', queued: true },
        { id: 'b', queued: true },
      ],
    ]);
    expect(await publisher.publish([{ key: 'k', drafts: [draft('c')] }])).toEqual([[{ id: 'c', queued: true }]]);
    // Several turns of the event loop: a held queue is not flushed by its own retries either.
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual(['before']);
    expect(publisher.state.queued.events).toBe(3);

    const done = flushed();
    publisher.release(failover);
    await done;
    for (let i = 0; i < 100 && publisher.state.queued.events > 0; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual(['before', 'a', 'b', 'c']);
    // Released: publishes go straight out again.
    expect(await publisher.publish([{ key: 'k', drafts: [draft('after')] }])).toEqual([
      [{ id: 'after', seq: 5, epoch: 'e1', duplicate: false }],
    ]);
    publisher.close();
  });
});
