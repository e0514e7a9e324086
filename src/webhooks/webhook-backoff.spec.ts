import { retryDelayMs } from './webhook-backoff';

describe('retryDelayMs', () => {
  const middle = () => 0.5;

  it('doubles from the base per failed attempt', () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(attempt, 1000, 3_600_000, middle))).toEqual([1000, 2000, 4000, 8000]);
  });

  it('never exceeds the cap, even after many attempts', () => {
    expect(retryDelayMs(50, 1000, 600_000, middle)).toBe(600_000);
    expect(retryDelayMs(1000, 1000, 600_000, () => 0.999)).toBeLessThanOrEqual(720_000);
  });

  it('spreads delays by at most 20 % either way', () => {
    expect(retryDelayMs(3, 1000, 3_600_000, () => 0)).toBe(3200);
    expect(retryDelayMs(3, 1000, 3_600_000, () => 1)).toBe(4800);
  });

  it('is at least 1 ms', () => {
    expect(retryDelayMs(1, 1, 1, () => 0)).toBe(1);
  });
});
