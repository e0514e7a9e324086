import type { Socket } from 'node:net';
import { HeaderDeadlines } from './http-deadlines';

/** What HeaderDeadlines touches of a socket: destroy(). */
function fakeSocket(name: string, destroyed: string[]): Socket {
  return { destroy: () => destroyed.push(name) } as unknown as Socket;
}

describe('HeaderDeadlines', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('destroys each waiting connection at its own deadline, not before, on one timer', () => {
    const destroyed: string[] = [];
    const deadlines = new HeaderDeadlines(1000);
    deadlines.add(fakeSocket('a', destroyed));
    jest.advanceTimersByTime(400);
    deadlines.add(fakeSocket('b', destroyed));
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(599);
    expect(destroyed).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(destroyed).toEqual(['a']);
    jest.advanceTimersByTime(399);
    expect(destroyed).toEqual(['a']);
    jest.advanceTimersByTime(1);
    expect(destroyed).toEqual(['a', 'b']);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('spares a connection whose headers arrived (or that closed) and keeps the others', () => {
    const destroyed: string[] = [];
    const deadlines = new HeaderDeadlines(1000);
    const done = fakeSocket('done', destroyed);
    deadlines.add(done);
    deadlines.add(fakeSocket('slow', destroyed));
    deadlines.delete(done);
    jest.advanceTimersByTime(5000);
    expect(destroyed).toEqual(['slow']);
  });

  it('arms again for a connection that arrives after the others have gone', () => {
    const destroyed: string[] = [];
    const deadlines = new HeaderDeadlines(1000);
    deadlines.add(fakeSocket('first', destroyed));
    jest.advanceTimersByTime(1000);
    deadlines.add(fakeSocket('later', destroyed));
    jest.advanceTimersByTime(1000);
    expect(destroyed).toEqual(['first', 'later']);
  });
});
