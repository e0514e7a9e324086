import type { ClaimedDelivery, DeadLetter, WebhookDelivery } from './webhook.model';
import { DEDUPE_MS, type WebhookQueue } from './webhook-queue';

/** The embedded engine's queue: one process, so a Map ordered by due time is enough. */
export class MemoryWebhookQueue implements WebhookQueue {
  private readonly waiting = new Map<string, { delivery: WebhookDelivery; dueAt: number; attempts: number }>();
  /** Event id → forget-after; insertion order is expiry order (one TTL), so pruning reads the front. */
  private readonly seen = new Map<string, number>();
  private dead: DeadLetter[] = [];

  constructor(private readonly dedupeMs = DEDUPE_MS) {}

  enqueue(eventId: string, deliveries: readonly WebhookDelivery[], now: number): Promise<boolean> {
    for (const [id, until] of this.seen) {
      if (until > now) break;
      this.seen.delete(id);
    }
    if (this.seen.has(eventId)) return Promise.resolve(false);
    this.seen.set(eventId, now + this.dedupeMs);
    for (const delivery of deliveries) this.waiting.set(delivery.id, { delivery, dueAt: now, attempts: 0 });
    return Promise.resolve(true);
  }

  claim(now: number, leaseUntil: number, limit: number): Promise<ClaimedDelivery[]> {
    const due = [...this.waiting.values()]
      .filter((entry) => entry.dueAt <= now)
      .sort((a, b) => a.dueAt - b.dueAt)
      .slice(0, limit);
    return Promise.resolve(
      due.map((entry) => {
        entry.dueAt = leaseUntil;
        entry.attempts += 1;
        return { ...entry.delivery, attempt: entry.attempts };
      }),
    );
  }

  complete(id: string): Promise<void> {
    this.waiting.delete(id);
    return Promise.resolve();
  }

  retry(id: string, dueAt: number): Promise<void> {
    const entry = this.waiting.get(id);
    if (entry) entry.dueAt = dueAt;
    return Promise.resolve();
  }

  deadLetter(letter: DeadLetter, max: number): Promise<void> {
    if (this.waiting.delete(letter.id)) this.dead = [letter, ...this.dead].slice(0, max);
    return Promise.resolve();
  }

  deadLetters(limit: number): Promise<DeadLetter[]> {
    return Promise.resolve(this.dead.slice(0, limit));
  }

  replay(id: string, now: number): Promise<boolean> {
    const letter = this.dead.find((candidate) => candidate.id === id);
    if (!letter) return Promise.resolve(false);
    this.dead = this.dead.filter((candidate) => candidate !== letter);
    const { attempts: _attempts, lastError: _error, failedAt: _at, ...delivery } = letter;
    this.waiting.set(id, { delivery, dueAt: now, attempts: 0 });
    return Promise.resolve(true);
  }

  depth(): Promise<number> {
    return Promise.resolve(this.waiting.size);
  }
}
