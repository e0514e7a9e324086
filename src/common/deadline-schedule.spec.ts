import { DeadlineSchedule } from './deadline-schedule';

describe('DeadlineSchedule', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('fires each item once, never before its deadline and within one slot after it', () => {
    const fired: [string, number][] = [];
    const schedule = new DeadlineSchedule<string>((item) => fired.push([item, Date.now()]), 1000);
    schedule.set('b', 1_002_500);
    schedule.set('a', 1_000_200);
    schedule.set('c', 1_002_400);
    jest.advanceTimersByTime(5000);
    expect(fired.map(([item]) => item)).toEqual(['a', 'b', 'c']);
    expect(fired).toEqual([
      ['a', 1_001_000],
      ['b', 1_003_000],
      ['c', 1_003_000],
    ]);
    expect(schedule.size).toBe(0);
  });

  it('forgets a deleted item and moves a rescheduled one', () => {
    const fired: string[] = [];
    const schedule = new DeadlineSchedule<string>((item) => fired.push(item), 1000);
    schedule.set('gone', 1_001_000);
    schedule.set('moved', 1_001_000);
    schedule.delete('gone');
    schedule.set('moved', 1_010_000);
    jest.advanceTimersByTime(5000);
    expect(fired).toEqual([]);
    jest.advanceTimersByTime(5000);
    expect(fired).toEqual(['moved']);
  });

  it('arms one timer, only for the earliest slot, and none when nothing is scheduled', () => {
    const schedule = new DeadlineSchedule<number>(() => undefined, 1000);
    expect(jest.getTimerCount()).toBe(0);
    for (let i = 0; i < 1000; i++) schedule.set(i, 1_000_000 + 60_000 + i * 7);
    expect(jest.getTimerCount()).toBe(1);
    for (let i = 0; i < 1000; i++) schedule.delete(i);
    jest.advanceTimersByTime(70_000);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('keeps its heap bounded under churn of items alone in their slots', () => {
    const schedule = new DeadlineSchedule<number>(() => undefined, 1000);
    for (let i = 0; i < 20_000; i++) {
      schedule.set(i, 1_000_000 + 3_600_000 + i * 1000);
      schedule.delete(i);
    }
    expect((schedule as unknown as { heap: number[] }).heap.length).toBeLessThanOrEqual(64);
  });

  it('lets an item be scheduled again from its own firing, and reaches deadlines past setTimeout’s ceiling', () => {
    const fired: number[] = [];
    const schedule: DeadlineSchedule<string> = new DeadlineSchedule<string>((item) => {
      fired.push(Date.now());
      if (fired.length === 1) schedule.set(item, Date.now() + 30 * 24 * 3600 * 1000);
    }, 1000);
    schedule.set('token', 1_001_000);
    jest.advanceTimersByTime(1000);
    expect(fired).toEqual([1_001_000]);
    jest.advanceTimersByTime(30 * 24 * 3600 * 1000);
    expect(fired).toEqual([1_001_000, 1_001_000 + 30 * 24 * 3600 * 1000]);
  });
});
