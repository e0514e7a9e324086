import type { EventDraft } from './bus-engine';
import { OutageQueue } from './outage-queue';

const draft = (id: string): EventDraft => ({ id, channel: 'branch:b1', event: 'order:updated', data: { id }, ts: 0 });

describe('OutageQueue.pushAll (the groups of one publish request)', () => {
  it('queues every group of a request, in order, when they all fit', () => {
    const queue = new OutageQueue({ maxEvents: 3, maxBytes: 1_000_000 });
    expect(
      queue.pushAll([
        { key: 'a', drafts: [draft('1'), draft('2')] },
        { key: 'b', drafts: [draft('3')] },
      ]),
    ).toBe(true);
    expect(queue.head(5).map((group) => group.key)).toEqual(['a', 'b']);
    expect(queue.depth.events).toBe(3);
  });

  it('queues none of them when they would not all fit: no request is half queued', () => {
    const queue = new OutageQueue({ maxEvents: 3, maxBytes: 1_000_000 });
    expect(queue.pushAll([{ key: 'a', drafts: [draft('1'), draft('2')] }])).toBe(true);
    expect(
      queue.pushAll([
        { key: 'b', drafts: [draft('3')] },
        { key: 'c', drafts: [draft('4')] },
      ]),
    ).toBe(false);
    expect(queue.head(5).map((group) => group.key)).toEqual(['a']);
    expect(queue.depth.events).toBe(2);
    // Adopted groups are owed already: forced in over the bound.
    expect(queue.pushAll([{ key: 'd', drafts: [draft('5'), draft('6')] }], true)).toBe(true);
    expect(queue.depth.events).toBe(4);
  });

  it('holds and counts data once: the JSON text the publish API measured is dropped, not queued beside it', () => {
    const queue = new OutageQueue({ maxEvents: 10, maxBytes: 1_000_000 });
    const plain = draft('1');
    queue.pushAll([{ key: 'a', drafts: [{ ...plain, dataJson: JSON.stringify(plain.data) }] }]);
    expect(queue.head(1)[0].drafts[0]).toEqual(plain);
    expect(queue.depth.bytes).toBe(Buffer.byteLength(JSON.stringify([plain])));
  });
});
