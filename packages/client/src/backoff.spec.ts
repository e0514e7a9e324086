import { Backoff } from './backoff.js';

describe('Backoff: exponential with full jitter', () => {
  it('draws each delay uniformly below a ceiling that doubles up to the maximum', () => {
    const top = new Backoff({ baseDelayMs: 100, maxDelayMs: 1000 }, () => 0.999999);
    expect([1, 2, 3, 4, 5, 6].map(() => top.next())).toEqual([99, 199, 399, 799, 999, 999]);
    const bottom = new Backoff({ baseDelayMs: 100, maxDelayMs: 1000 }, () => 0);
    expect([1, 2, 3].map(() => bottom.next())).toEqual([0, 0, 0]);
  });

  it('spreads a crowd over the whole window (full jitter, not ±50 %)', () => {
    const delays = Array.from({ length: 2000 }, () => new Backoff({ baseDelayMs: 1000 }).next());
    expect(Math.min(...delays)).toBeLessThan(100);
    expect(Math.max(...delays)).toBeGreaterThan(900);
    const mean = delays.reduce((sum, delay) => sum + delay, 0) / delays.length;
    expect(mean).toBeGreaterThan(400);
    expect(mean).toBeLessThan(600);
  });

  it('starts over after reset()', () => {
    const backoff = new Backoff({ baseDelayMs: 100, maxDelayMs: 10_000 }, () => 0.5);
    backoff.next();
    backoff.next();
    expect(backoff.attempts).toBe(2);
    backoff.reset();
    expect(backoff.next()).toBe(50);
  });
});
