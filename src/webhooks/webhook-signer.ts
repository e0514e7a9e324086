import { Webhook } from 'standardwebhooks';

/** The headers of one signed request (Standard Webhooks, https://www.standardwebhooks.com). */
export interface SignedHeaders {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
}

/**
 * Signs with the Standard Webhooks scheme, through its reference library: HMAC-SHA256 over
 * `<id>.<timestamp>.<body>`, keyed with the secret's bytes, as `v1,<base64>`. Receivers verify
 * with any Standard Webhooks library, or the four lines in docs/webhooks.md. The timestamp is
 * the send time of each attempt, so a receiver can refuse old requests (replays) by age.
 */
export class WebhookSigner {
  private readonly webhook: Webhook;

  constructor(secret: string) {
    this.webhook = new Webhook(secret);
  }

  sign(id: string, body: string, at: Date): SignedHeaders {
    return {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': this.webhook.sign(id, at, body),
    };
  }
}
