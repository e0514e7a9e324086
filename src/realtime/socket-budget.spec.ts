import { SocketBudget } from './socket-budget';

describe('SocketBudget', () => {
  it('takes perSecond messages per second, then the burst once per ten seconds', () => {
    const budget = new SocketBudget(3, 2);
    const taken = (now: number, count: number) => Array.from({ length: count }, () => budget.take(now)).filter(Boolean).length;
    expect(taken(0, 10)).toBe(5);
    expect(budget.refusedInWindow).toBe(5);
    expect(budget.retryAfterMs(400)).toBe(600);
    expect(taken(1000, 10)).toBe(3); // a new second, but the burst is spent for ten
    expect(budget.refusedInWindow).toBe(7);
    expect(taken(10_000, 10)).toBe(5);
  });

  it('without a burst, refuses everything past perSecond', () => {
    const budget = new SocketBudget(2, 0);
    expect([budget.take(5), budget.take(5), budget.take(5)]).toEqual([true, true, false]);
    expect(budget.retryAfterMs(1004)).toBe(1);
  });
});
