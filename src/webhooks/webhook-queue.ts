import type { ClaimedDelivery, DeadLetter, WebhookDelivery } from './webhook.model';

/**
 * Where webhooks wait until they are sent: in Redis with the Redis engine, so that any process
 * can send, retry and take over from a process that died mid-send; in memory on the embedded
 * engine. A claim does not remove a delivery: it pushes its due time past a lease, so a delivery
 * whose sender dies becomes due again and another process sends it (at least once).
 */
export interface WebhookQueue {
  /**
   * Queues one delivery per URL of an event, due now, unless the event id was queued before
   * (within DEDUPE_MS): then nothing, and false. Events raised on several nodes collapse here.
   */
  enqueue(eventId: string, deliveries: readonly WebhookDelivery[], now: number): Promise<boolean>;
  /** Takes up to `limit` due deliveries until `leaseUntil`, counting the attempt. */
  claim(now: number, leaseUntil: number, limit: number): Promise<ClaimedDelivery[]>;
  /** Sent: gone for good. */
  complete(id: string): Promise<void>;
  /** Failed: due again at `dueAt` (unless another process completed it meanwhile). */
  retry(id: string, dueAt: number): Promise<void>;
  /** Failed for the last time: moved to the dead-letter list, which keeps the newest `max`. */
  deadLetter(letter: DeadLetter, max: number): Promise<void>;
  /** Newest first. */
  deadLetters(limit: number): Promise<DeadLetter[]>;
  /** Moves a dead letter back to the queue, due now, with its attempts reset; false if unknown. */
  replay(id: string, now: number): Promise<boolean>;
  /** Deliveries waiting (due, retrying or being sent). */
  depth(): Promise<number>;
}

export const WEBHOOK_QUEUE = Symbol('WEBHOOK_QUEUE');

/** How long an event id is remembered for deduplication. */
export const DEDUPE_MS = 24 * 3600_000;
