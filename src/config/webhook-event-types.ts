/**
 * The operator events a webhook can carry (docs/webhooks.md). Here, below config, because
 * WEBHOOK_EVENTS is validated against them; src/webhooks/ builds the bodies.
 */
export const WEBHOOK_EVENT_TYPES = [
  'printing:agent-offline',
  'printing:agent-online',
  'print:job-failed',
  'print:job-expired',
  'channel:reset',
  'presence:joined',
  'presence:left',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
