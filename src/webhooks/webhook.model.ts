import type { WebhookEventType } from '../config';

/** One operator event, as the receiver gets it (the request body; docs/webhooks.md). */
export interface WebhookBody {
  /** Also the `webhook-id` header: the same on every retry and for every URL, so receivers dedupe on it. */
  readonly id: string;
  readonly type: WebhookEventType;
  /** When the event happened (ISO 8601), not when this request was sent. */
  readonly timestamp: string;
  readonly data: { readonly companyId: string } & Readonly<Record<string, unknown>>;
}

/** One event for one URL, as queued. */
export interface WebhookDelivery {
  /** `<event id>.<url hash>`: unique per event and URL. */
  readonly id: string;
  readonly eventId: string;
  readonly type: WebhookEventType;
  readonly companyId: string;
  readonly url: string;
  /** The JSON body, serialized once, so every attempt signs and sends the same bytes. */
  readonly body: string;
}

/** A delivery taken by one process for one send; `attempt` counts from 1, this send included. */
export interface ClaimedDelivery extends WebhookDelivery {
  readonly attempt: number;
}

/** A delivery that failed WEBHOOK_MAX_ATTEMPTS times. */
export interface DeadLetter extends WebhookDelivery {
  readonly attempts: number;
  readonly lastError: string;
  readonly failedAt: number;
}
