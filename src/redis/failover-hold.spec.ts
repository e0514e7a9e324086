import { EventEmitter } from 'node:events';
import type { RedisClient } from './redis-client';
import { FailoverHold } from './failover-hold';

/** A stand-in for an ioredis client: its status, the server its socket is on, and ROLE answers. */
class FakeClient extends EventEmitter {
  status = 'ready';
  stream = { remoteAddress: '10.0.0.1', remotePort: 6379 };
  readonly answers: (() => Promise<unknown>)[] = [];
  calls = 0;
  call(command: string): Promise<unknown> {
    expect(command).toBe('ROLE');
    this.calls += 1;
    return (this.answers.shift() ?? (() => Promise.resolve(['master'])))();
  }
  moveTo(address: string, port: number): void {
    this.stream = { remoteAddress: address, remotePort: port };
    this.emit('ready');
  }
}

function setUp() {
  const signals = new EventEmitter();
  const client = new FakeClient();
  let released!: () => void;
  const releasedOnce = new Promise<void>((resolve) => (released = resolve));
  const hold = new FailoverHold(signals, client as unknown as RedisClient, { released: () => released() });
  return { signals, client, hold, releasedOnce };
}

describe('FailoverHold', () => {
  let hold: FailoverHold | undefined;
  afterEach(() => hold?.close());

  it('holds from the start of a failover until the client is on the announced master and it answers as one', async () => {
    const setup = setUp();
    ({ hold } = setup);
    setup.signals.emit('starting');
    expect(hold.holding).toBe(true);
    // Still on the old master, which answers "master" until the sentinels demote it.
    setup.signals.emit('switched', '10.0.0.2:6379');
    expect(hold.holding).toBe(true);
    expect(setup.client.calls).toBe(0);
    setup.client.moveTo('10.0.0.2', 6379);
    await setup.releasedOnce;
    expect(hold.holding).toBe(false);
  });

  it('tries again by itself when ROLE failed on a connection that stays up (no further reconnect comes)', async () => {
    const setup = setUp();
    ({ hold } = setup);
    setup.client.stream = { remoteAddress: '10.0.0.2', remotePort: 6379 };
    setup.client.answers.push(() => Promise.reject(new Error('Command timed out')));
    setup.signals.emit('starting');
    setup.signals.emit('switched', '10.0.0.2:6379');
    await setup.releasedOnce;
    expect(setup.client.calls).toBe(2);
  });

  it('keeps holding while the server answers as a replica, and releases once it is promoted', async () => {
    const setup = setUp();
    ({ hold } = setup);
    setup.client.stream = { remoteAddress: '10.0.0.2', remotePort: 6379 };
    setup.client.answers.push(
      () => Promise.resolve(['slave']),
      () => Promise.resolve(['slave']),
    );
    setup.signals.emit('starting');
    setup.signals.emit('switched', '10.0.0.2:6379');
    await setup.releasedOnce;
    expect(setup.client.calls).toBe(3);
  });

  it('ends at once when the failover is aborted, and ignores a switch it did not hold for', async () => {
    const setup = setUp();
    ({ hold } = setup);
    setup.signals.emit('switched', '10.0.0.2:6379');
    expect(hold.holding).toBe(false);
    setup.signals.emit('starting');
    setup.signals.emit('aborted');
    await setup.releasedOnce;
    expect(hold.holding).toBe(false);
    expect(setup.client.calls).toBe(0);
  });
});
