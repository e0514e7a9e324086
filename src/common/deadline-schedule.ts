/** setTimeout's ceiling: a later deadline is reached in several arms of the timer. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * One deadline per item for many items, on one timer. Per-socket timers (a token's expiry notice
 * and its end, for every connection) cost each socket two Timeouts with their closures and
 * contexts, about 0.5 KB of heap per connection (issue 14, heap snapshots); here an item costs a
 * Map and a Set entry. Deadlines are grouped in slots of `resolutionMs`, and an item fires at the
 * end of its slot: never before its deadline, at most `resolutionMs` after it. The timer is armed
 * only for the earliest slot, so a node with nothing due wakes up for nothing.
 */
export class DeadlineSchedule<T> {
  /** The slot of each scheduled item. */
  private readonly slotOf = new Map<T, number>();
  private readonly slots = new Map<number, Set<T>>();
  /** Slot numbers, a min-heap; a slot emptied by delete() stays here until it is popped. */
  private readonly heap: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;

  constructor(
    private readonly fire: (item: T) => void,
    private readonly resolutionMs = 1000,
  ) {}

  get size(): number {
    return this.slotOf.size;
  }

  /** Schedules `item` at `at` (epoch ms), replacing its previous deadline. */
  set(item: T, at: number): void {
    this.delete(item);
    const slot = Math.ceil(at / this.resolutionMs);
    let members = this.slots.get(slot);
    if (!members) {
      members = new Set();
      this.slots.set(slot, members);
      this.push(slot);
    }
    members.add(item);
    this.slotOf.set(item, slot);
    this.arm();
  }

  delete(item: T): void {
    const slot = this.slotOf.get(item);
    if (slot === undefined) return;
    this.slotOf.delete(item);
    const members = this.slots.get(slot);
    members?.delete(item);
    if (members?.size !== 0) return;
    this.slots.delete(slot);
    // Emptied slots leave their heap entry behind; under connection churn those would pile up
    // until their time came, so the heap is rebuilt once they outnumber the live slots.
    if (this.heap.length > 2 * this.slots.size + 64) {
      this.heap.length = 0;
      for (const live of this.slots.keys()) this.push(live);
    }
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
    this.slotOf.clear();
    this.slots.clear();
    this.heap.length = 0;
  }

  private arm(): void {
    while (this.heap.length > 0 && !this.slots.has(this.heap[0])) this.pop();
    if (this.heap.length === 0) return;
    const at = this.heap[0] * this.resolutionMs;
    if (this.timer !== undefined && this.armedFor <= at) return;
    clearTimeout(this.timer);
    this.armedFor = at;
    this.timer = setTimeout(() => this.run(), Math.min(MAX_TIMER_MS, Math.max(0, at - Date.now())));
    this.timer.unref();
  }

  private run(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    // Judged by the wall clock: a timer that fires a little early (or was capped at
    // MAX_TIMER_MS) fires nothing, and is armed again for what is left.
    const now = Date.now();
    const due: T[] = [];
    while (this.heap.length > 0 && this.heap[0] * this.resolutionMs <= now) {
      const slot = this.pop();
      const members = this.slots.get(slot);
      if (!members) continue;
      this.slots.delete(slot);
      for (const item of members) {
        this.slotOf.delete(item);
        due.push(item);
      }
    }
    // Fired after the slots are taken out, so an item may be scheduled again from `fire`.
    for (const item of due) this.fire(item);
    this.arm();
  }

  private push(slot: number): void {
    const heap = this.heap;
    let i = heap.push(slot) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent] <= heap[i]) break;
      [heap[parent], heap[i]] = [heap[i], heap[parent]];
      i = parent;
    }
  }

  private pop(): number {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop() as number;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && heap[left] < heap[smallest]) smallest = left;
        if (right < heap.length && heap[right] < heap[smallest]) smallest = right;
        if (smallest === i) break;
        [heap[smallest], heap[i]] = [heap[i], heap[smallest]];
        i = smallest;
      }
    }
    return top;
  }
}
