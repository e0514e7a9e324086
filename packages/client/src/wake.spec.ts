import { WakeDetector, type WakeReason } from './wake.js';

class FakeTarget {
  readonly listeners = new Map<string, Set<() => void>>();
  visibilityState = 'hidden';
  addEventListener(type: string, listener: () => void): void {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)?.add(listener);
  }
  removeEventListener(type: string, listener: () => void): void {
    this.listeners.get(type)?.delete(listener);
  }
  fire(type: string): void {
    for (const listener of this.listeners.get(type) ?? []) listener();
  }
}

describe('WakeDetector', () => {
  const scope = globalThis as { window?: unknown; document?: unknown };
  afterEach(() => {
    delete scope.window;
    delete scope.document;
    jest.useRealTimers();
  });

  it('notices a suspended process by a timer that fires far too late', () => {
    jest.useFakeTimers();
    const seen: WakeReason[] = [];
    const detector = new WakeDetector((reason) => seen.push(reason), { tickMs: 1000, jumpMs: 3000 });
    jest.advanceTimersByTime(5000);
    expect(seen).toEqual([]);
    // The machine sleeps: the clock moves on while no timer runs.
    jest.setSystemTime(Date.now() + 60_000);
    jest.advanceTimersByTime(1000);
    expect(seen).toEqual(['clock-jump']);
    detector.close();
  });

  it('listens for online, pageshow, resume and a tab becoming visible, and stops on close()', () => {
    const window = new FakeTarget();
    const document = new FakeTarget();
    scope.window = window;
    scope.document = document;
    const seen: WakeReason[] = [];
    const detector = new WakeDetector((reason) => seen.push(reason));
    window.fire('online');
    document.fire('visibilitychange'); // still hidden: nothing
    document.visibilityState = 'visible';
    document.fire('visibilitychange');
    window.fire('pageshow');
    document.fire('resume');
    expect(seen).toEqual(['online', 'visible', 'resumed', 'resumed']);
    detector.close();
    window.fire('online');
    expect(seen).toHaveLength(4);
    expect([...window.listeners.values()].every((set) => set.size === 0)).toBe(true);
  });
});
