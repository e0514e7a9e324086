import type { ChannelRef } from '../channels/channel-ref';
import type { Envelope } from '../bus/envelope';
import { DeliveryCoalescer } from './delivery-coalescer';

const ref = (key: string): ChannelRef => ({ key }) as ChannelRef;
const env = (channel: string, seq: number): Envelope => ({ channel, seq }) as Envelope;

describe('DeliveryCoalescer', () => {
  let emitted: [string, string, number[]][];
  const record = (r: ChannelRef, epoch: string, events: readonly Envelope[]): void => {
    emitted.push([r.key, epoch, events.map((e) => e.seq)]);
  };
  beforeEach(() => {
    emitted = [];
  });

  it('emits at once when coalescing is off', () => {
    const coalescer = new DeliveryCoalescer(0, 0, record);
    coalescer.deliver(ref('a'), 'e1', [env('a', 1)]);
    coalescer.deliver(ref('a'), 'e1', [env('a', 2)]);
    expect(emitted).toEqual([
      ['a', 'e1', [1]],
      ['a', 'e1', [2]],
    ]);
    coalescer.close();
  });

  it('emits at once while the event loop is not busy', () => {
    const coalescer = new DeliveryCoalescer(5, 0.99, record);
    expect(coalescer.coalescing).toBe(false);
    coalescer.deliver(ref('a'), 'e1', [env('a', 1)]);
    expect(emitted).toEqual([['a', 'e1', [1]]]);
    coalescer.close();
  });

  it('arms no timer while the node is idle: the load is sampled when a delivery asks', () => {
    const intervals = jest.spyOn(globalThis, 'setInterval');
    const timeouts = jest.spyOn(globalThis, 'setTimeout');
    try {
      const coalescer = new DeliveryCoalescer(5, 0.99, record);
      coalescer.deliver(ref('a'), 'e1', [env('a', 1)]);
      expect(emitted).toEqual([['a', 'e1', [1]]]);
      expect(intervals).not.toHaveBeenCalled();
      expect(timeouts).not.toHaveBeenCalled();
      coalescer.close();
    } finally {
      intervals.mockRestore();
      timeouts.mockRestore();
    }
  });

  it('under load, sends a quiet channel at once and holds what follows within the window, per channel, in order', async () => {
    // A wide window, so that a slow CI machine cannot let it pass between two lines of the test.
    const coalescer = new DeliveryCoalescer(50, 0, record);
    coalescer.deliver(ref('a'), 'e1', [env('a', 1)]);
    coalescer.deliver(ref('b'), 'e1', [env('b', 7)]);
    // Holding a channel's first event could not save a frame; it leaves at once.
    expect(emitted).toEqual([
      ['a', 'e1', [1]],
      ['b', 'e1', [7]],
    ]);
    coalescer.deliver(ref('a'), 'e1', [env('a', 2), env('a', 3)]);
    coalescer.deliver(ref('a'), 'e1', [env('a', 4)]);
    expect(emitted).toHaveLength(2);
    await new Promise<void>((resolve) => {
      const poll = (): void => (emitted.length === 3 ? resolve() : void setImmediate(poll));
      poll();
    });
    expect(emitted[2]).toEqual(['a', 'e1', [2, 3, 4]]);
    // The channel just sent (the held frame): its next event is held again, not sent alone.
    coalescer.deliver(ref('a'), 'e1', [env('a', 5)]);
    expect(emitted).toHaveLength(3);
    coalescer.flush(ref('a'));
    expect(emitted[3]).toEqual(['a', 'e1', [5]]);
    // Once a window has passed with nothing sent, the channel is quiet again: at once.
    await new Promise((resolve) => setTimeout(resolve, 60));
    coalescer.deliver(ref('a'), 'e1', [env('a', 6)]);
    expect(emitted[4]).toEqual(['a', 'e1', [6]]);
    coalescer.close();
  });

  it('flushes one channel on demand, and never mixes two epochs in one frame', () => {
    const coalescer = new DeliveryCoalescer(1000, 0, record);
    coalescer.deliver(ref('a'), 'e1', [env('a', 1)]);
    coalescer.deliver(ref('b'), 'e1', [env('b', 1)]);
    coalescer.deliver(ref('a'), 'e1', [env('a', 2)]);
    coalescer.deliver(ref('b'), 'e1', [env('b', 2)]);
    expect(emitted).toEqual([
      ['a', 'e1', [1]],
      ['b', 'e1', [1]],
    ]);
    coalescer.flush(ref('a'));
    expect(emitted[2]).toEqual(['a', 'e1', [2]]);
    coalescer.deliver(ref('b'), 'e2', [env('b', 1)]);
    expect(emitted[3]).toEqual(['b', 'e1', [2]]);
    coalescer.close();
    expect(emitted.slice(4)).toEqual([['b', 'e2', [1]]]);
  });

  it('starts holding once the event loop has been busy', async () => {
    const coalescer = new DeliveryCoalescer(5, 0.5, record);
    const deadline = Date.now() + 5000;
    while (!coalescer.coalescing && Date.now() < deadline) {
      // Busy for 150 ms, then yield; the next look at the load (at most every 100 ms) sees it.
      const until = Date.now() + 150;
      while (Date.now() < until) {
        /* spin */
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(coalescer.coalescing).toBe(true);
    coalescer.deliver(ref('a'), 'e1', [env('a', 1)]);
    coalescer.deliver(ref('a'), 'e1', [env('a', 2)]);
    expect(emitted).toEqual([['a', 'e1', [1]]]);
    coalescer.close();
    expect(emitted).toEqual([
      ['a', 'e1', [1]],
      ['a', 'e1', [2]],
    ]);
  });
});
