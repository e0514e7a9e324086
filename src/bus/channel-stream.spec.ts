import { channelRef } from '../channels/channel-ref';
import type { BusEngine, ReadResult } from './bus-engine';
import { ChannelStream, type DeliverySink } from './channel-stream';
import type { Envelope } from './envelope';

const ref = channelRef('acme', 'orders', 'branch:b1');
const env = (seq: number, epoch = 'E1'): Envelope => ({
  id: `e${seq}`,
  channel: 'branch:b1',
  seq,
  epoch,
  event: 'order:updated',
  data: {},
  ts: 0,
});
const range = (from: number, to: number, epoch = 'E1'): Envelope[] => Array.from({ length: to - from + 1 }, (_, i) => env(from + i, epoch));

/** A scripted engine: each read() takes the next queued answer (a value, an error, or a pending promise). */
class ScriptedEngine implements BusEngine {
  readonly kind = 'memory' as const;
  readonly reads: number[] = [];
  private readonly answers: (() => Promise<ReadResult>)[] = [];
  answer(result: ReadResult | Error | Promise<ReadResult>): void {
    this.answers.push(() => (result instanceof Error ? Promise.reject(result) : Promise.resolve(result)));
  }
  setListener(): void {}
  publish(): Promise<never> {
    throw new Error('not used');
  }
  publishMany(): Promise<never> {
    throw new Error('not used');
  }
  read(_key: string, afterSeq: number): Promise<ReadResult> {
    this.reads.push(afterSeq);
    const next = this.answers.shift();
    return next ? next() : Promise.reject(new Error('no scripted answer'));
  }
  readonly resets: string[] = [];
  resetEpoch(_key: string, epoch: string): Promise<string> {
    this.resets.push(epoch);
    return Promise.resolve(`${epoch}-new`);
  }
  watch(): Promise<void> {
    return Promise.resolve();
  }
  unwatch(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function setup() {
  const engine = new ScriptedEngine();
  const log: string[] = [];
  const sink: DeliverySink = {
    deliver: (_ref, epoch, events) => log.push(`deliver ${epoch} ${events.map((e) => e.seq).join(',')}`),
    reset: (_ref, position, reason) => log.push(`reset ${position.epoch}@${position.seq} ${reason}`),
    hasLocalSubscribers: () => true,
  };
  const stream = new ChannelStream(ref, engine, sink, { attempts: 2, backoffMs: 1 });
  const join = (label: string) => (replay: readonly Envelope[]) => log.push(`join ${label} [${replay.map((e) => e.seq).join(',')}]`);
  return { engine, log, stream, join };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('ChannelStream', () => {
  it('reads the baseline on first attach and delivers the next seq synchronously', async () => {
    const { engine, log, stream, join } = setup();
    engine.answer({ epoch: 'E1', seq: 3, complete: true, events: [] });
    expect(await stream.attach(undefined, join('a'))).toEqual({ epoch: 'E1', seq: 3 });
    await flush();
    expect(stream.busy).toBe(false);
    stream.arrive([env(4)]);
    expect(log).toEqual(['join a []', 'deliver E1 4']);
  });

  it('holds live events that arrive during a replay until the replay is joined, and never reorders them', async () => {
    const { engine, log, stream, join } = setup();
    engine.answer({ epoch: 'E1', seq: 3, complete: true, events: [] });
    await stream.attach(undefined, join('a'));

    let release!: (value: ReadResult) => void;
    engine.answer(new Promise<ReadResult>((resolve) => (release = resolve)));
    const replaying = stream.attach({ epoch: 'E1', seq: 1 }, join('b'));
    await flush();
    stream.arrive([env(4)]);
    stream.arrive([env(5), env(6)]);
    expect(log).toEqual(['join a []']);

    // Redis already holds 4 (in flight to this node): the replay stops at what the stream delivered.
    release({ epoch: 'E1', seq: 4, complete: true, events: range(2, 4) });
    expect(await replaying).toEqual({ epoch: 'E1', seq: 3, recovered: true, missed: 2 });
    await flush();
    expect(log).toEqual(['join a []', 'join b [2,3]', 'deliver E1 4', 'deliver E1 5,6']);
  });

  it('answers a current position without any read', async () => {
    const { engine, stream, join } = setup();
    engine.answer({ epoch: 'E1', seq: 2, complete: true, events: [] });
    await stream.attach(undefined, join('a'));
    expect(await stream.attach({ epoch: 'E1', seq: 2 }, join('b'))).toEqual({ epoch: 'E1', seq: 2, recovered: true, missed: 0 });
    expect(engine.reads).toEqual([Number.MAX_SAFE_INTEGER]);
  });

  it('shares one catch-up read among subscribers coming back behind the stream (a reconnect storm reads history once)', async () => {
    const { engine, log, stream, join } = setup();
    engine.answer({ epoch: 'E1', seq: 5, complete: true, events: [] });
    await stream.attach(undefined, join('a'));
    engine.answer({ epoch: 'E1', seq: 5, complete: true, events: range(3, 5) });
    expect(await stream.attach({ epoch: 'E1', seq: 2 }, join('b'))).toEqual({ epoch: 'E1', seq: 5, recovered: true, missed: 3 });
    // Same position, then a later one: both answered from the first read.
    expect(await stream.attach({ epoch: 'E1', seq: 2 }, join('c'))).toEqual({ epoch: 'E1', seq: 5, recovered: true, missed: 3 });
    expect(await stream.attach({ epoch: 'E1', seq: 4 }, join('d'))).toEqual({ epoch: 'E1', seq: 5, recovered: true, missed: 1 });
    expect(engine.reads).toEqual([Number.MAX_SAFE_INTEGER, 2]);
    expect(log).toEqual(['join a []', 'join b [3,4,5]', 'join c [3,4,5]', 'join d [5]']);

    // Further behind than the shared read starts: Redis is asked.
    engine.answer({ epoch: 'E1', seq: 5, complete: true, events: range(2, 5) });
    expect(await stream.attach({ epoch: 'E1', seq: 1 }, join('e'))).toMatchObject({ recovered: true, missed: 4 });
    // The stream moved past what the shared read holds: Redis is asked again.
    stream.arrive([env(6)]);
    engine.answer({ epoch: 'E1', seq: 6, complete: true, events: range(2, 6) });
    expect(await stream.attach({ epoch: 'E1', seq: 1 }, join('f'))).toMatchObject({ seq: 6, recovered: true, missed: 5 });
    expect(engine.reads).toEqual([Number.MAX_SAFE_INTEGER, 2, 1, 1]);
  });

  it('never answers a position ahead of the stream from a shared read (Redis decides whether it is real)', async () => {
    const { engine, stream, join } = setup();
    engine.answer({ epoch: 'E1', seq: 5, complete: true, events: [] });
    await stream.attach(undefined, join('a'));
    engine.answer({ epoch: 'E1', seq: 5, complete: true, events: range(3, 5) });
    await stream.attach({ epoch: 'E1', seq: 2 }, join('b'));
    // Another node delivered seq 7 already; Redis holds it, this stream does not yet.
    engine.answer({ epoch: 'E1', seq: 7, complete: true, events: [] });
    expect(await stream.attach({ epoch: 'E1', seq: 7 }, join('c'))).toMatchObject({ recovered: true, missed: 0 });
    expect(engine.reads).toEqual([Number.MAX_SAFE_INTEGER, 2, 7]);
  });

  it('drops duplicates and refills a gap from history before delivering the later event', async () => {
    const { engine, log, stream, join } = setup();
    engine.answer({ epoch: 'E1', seq: 1, complete: true, events: [] });
    await stream.attach(undefined, join('a'));
    stream.arrive([env(1)]);
    engine.answer({ epoch: 'E1', seq: 4, complete: true, events: range(2, 4) });
    stream.arrive([env(4)]);
    stream.arrive([env(5)]);
    await flush();
    expect(engine.reads.at(-1)).toBe(1);
    expect(log).toEqual(['join a []', 'deliver E1 2,3,4', 'deliver E1 5']);
  });

  it('announces an epoch change before delivering the new epoch, refilling its start', async () => {
    const { engine, log, stream, join } = setup();
    engine.answer({ epoch: 'E1', seq: 7, complete: true, events: [] });
    await stream.attach(undefined, join('a'));
    engine.answer({ epoch: 'E2', seq: 2, complete: true, events: range(1, 2, 'E2') });
    stream.arrive([env(2, 'E2')]);
    await flush();
    expect(log).toEqual(['join a []', 'reset E2@0 EPOCH_CHANGED', 'deliver E2 1,2']);
  });

  it('resets with HISTORY_EXPIRED when the gap already left history', async () => {
    const { engine, log, stream, join } = setup();
    engine.answer({ epoch: 'E1', seq: 1, complete: true, events: [] });
    await stream.attach(undefined, join('a'));
    engine.answer({ epoch: 'E1', seq: 9, complete: false, events: [] });
    stream.arrive([env(9)]);
    await flush();
    expect(log).toEqual(['join a []', 'reset E1@9 HISTORY_EXPIRED']);
    stream.arrive([env(10)]);
    expect(log.at(-1)).toBe('deliver E1 10');
  });

  it('resets with UNAVAILABLE when history cannot be read, then keeps delivering', async () => {
    const { engine, log, stream, join } = setup();
    engine.answer({ epoch: 'E1', seq: 1, complete: true, events: [] });
    await stream.attach(undefined, join('a'));
    engine.answer(new Error('down'));
    engine.answer(new Error('still down'));
    stream.arrive([env(5)]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(log).toEqual(['join a []', 'reset E1@4 UNAVAILABLE', 'deliver E1 5']);
  });

  it('catches up after resume(), or resets when the channel changed epoch meanwhile', async () => {
    const { engine, log, stream, join } = setup();
    engine.answer({ epoch: 'E1', seq: 1, complete: true, events: [] });
    await stream.attach(undefined, join('a'));
    engine.answer({ epoch: 'E1', seq: 3, complete: true, events: range(2, 3) });
    void stream.resume();
    await flush();
    engine.answer({ epoch: 'E9', seq: 0, complete: true, events: [] });
    void stream.resume();
    await flush();
    expect(log).toEqual(['join a []', 'deliver E1 2,3', 'reset E9@0 EPOCH_CHANGED']);
  });

  it('after a resume into a new epoch, delivers what the new epoch already holds', async () => {
    const { engine, log, stream, join } = setup();
    engine.answer({ epoch: 'E1', seq: 4, complete: true, events: [] });
    await stream.attach(undefined, join('a'));
    engine.answer({ epoch: 'E2', seq: 2, complete: true, events: [] });
    engine.answer({ epoch: 'E2', seq: 2, complete: true, events: range(1, 2, 'E2') });
    void stream.resume();
    await flush();
    expect(engine.reads.slice(-2)).toEqual([4, 0]);
    expect(log).toEqual(['join a []', 'reset E2@0 EPOCH_CHANGED', 'deliver E2 1,2']);
  });

  it('gives the channel a new epoch when history went backwards, instead of reusing seqs', async () => {
    const { engine, log, stream, join } = setup();
    engine.answer({ epoch: 'E1', seq: 5, complete: true, events: [] });
    await stream.attach(undefined, join('a'));
    engine.answer({ epoch: 'E1', seq: 3, complete: true, events: [] });
    engine.answer({ epoch: 'E1-new', seq: 0, complete: true, events: [] });
    void stream.resume();
    await flush();
    expect(engine.resets).toEqual(['E1']);
    expect(log).toEqual(['join a []', 'reset E1-new@0 EPOCH_CHANGED']);
    stream.arrive([env(5, 'E1')]);
    stream.arrive([env(1, 'E1-new')]);
    await flush();
    expect(log.at(-1)).toBe('deliver E1-new 1');
  });

  // A replica promoted without the master's last writes (seqs 4-5 here) takes new writes under
  // the same seqs. By the time this node looks, history may already be past where it was.
  const other = (seq: number): Envelope => ({ ...env(seq), id: `other${seq}` });

  it('gives the channel a new epoch when a resume finds another event at the last delivered seq', async () => {
    const { engine, log, stream, join } = setup();
    engine.answer({ epoch: 'E1', seq: 3, complete: true, events: [] });
    await stream.attach(undefined, join('a'));
    stream.arrive(range(4, 5));
    engine.answer({ epoch: 'E1', seq: 7, complete: true, events: [other(5), other(6), other(7)] });
    engine.answer({ epoch: 'E1-new', seq: 0, complete: true, events: [] });
    void stream.resume();
    await flush();
    expect(engine.reads).toEqual([Number.MAX_SAFE_INTEGER, 4, 5]);
    expect(engine.resets).toEqual(['E1']);
    expect(log).toEqual(['join a []', 'deliver E1 4,5', 'reset E1-new@0 EPOCH_CHANGED']);
  });

  it('gives the channel a new epoch when a live event reuses the last delivered seq', async () => {
    const { engine, log, stream, join } = setup();
    engine.answer({ epoch: 'E1', seq: 3, complete: true, events: [] });
    await stream.attach(undefined, join('a'));
    stream.arrive(range(4, 5));
    engine.answer({ epoch: 'E1-new', seq: 1, complete: true, events: [] });
    engine.answer({ epoch: 'E1-new', seq: 1, complete: true, events: [env(1, 'E1-new')] });
    // other4 alone cannot be told from a late duplicate; other5 can.
    stream.arrive([other(4)]);
    stream.arrive([other(5)]);
    stream.arrive([other(6)]);
    await flush();
    expect(engine.resets).toEqual(['E1']);
    expect(log).toEqual(['join a []', 'deliver E1 4,5', 'reset E1-new@0 EPOCH_CHANGED', 'deliver E1-new 1']);
  });

  it('keeps the epoch when the event at the last delivered seq is the same one (a duplicate)', async () => {
    const { engine, log, stream, join } = setup();
    engine.answer({ epoch: 'E1', seq: 3, complete: true, events: [] });
    await stream.attach(undefined, join('a'));
    stream.arrive(range(4, 5));
    stream.arrive(range(5, 6));
    engine.answer({ epoch: 'E1', seq: 7, complete: true, events: range(6, 7) });
    void stream.resume();
    await flush();
    expect(engine.resets).toEqual([]);
    expect(log).toEqual(['join a []', 'deliver E1 4,5', 'deliver E1 6', 'deliver E1 7']);
  });

  it('rejects an attach whose read fails, and stays usable', async () => {
    const { engine, stream, join } = setup();
    engine.answer(new Error('down'));
    await expect(stream.attach(undefined, join('a'))).rejects.toThrow('down');
    engine.answer({ epoch: 'E1', seq: 0, complete: true, events: [] });
    await expect(stream.attach(undefined, join('b'))).resolves.toEqual({ epoch: 'E1', seq: 0 });
  });
});
