import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { WebhookSigner } from './webhook-signer';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

describe('WebhookSigner', () => {
  const body = JSON.stringify({ id: 'evt_1', type: 'print:job-failed', data: { companyId: 'c1' } });
  const at = new Date('2026-12-05T10:00:00Z');

  it('produces headers a Standard Webhooks verifier accepts', () => {
    const headers = new WebhookSigner(SECRET).sign('evt_1', body, new Date());
    expect(new Webhook(SECRET).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it('is HMAC-SHA256 of id.timestamp.body with the decoded secret, as docs/webhooks.md tells receivers', () => {
    const headers = new WebhookSigner(SECRET).sign('evt_1', body, at);
    const expected = createHmac('sha256', Buffer.alloc(32, 7)).update(`evt_1.${headers['webhook-timestamp']}.${body}`).digest('base64');
    expect(headers).toEqual({ 'webhook-id': 'evt_1', 'webhook-timestamp': '1796464800', 'webhook-signature': `v1,${expected}` });
  });

  it('fails verification when the body or the secret differ', () => {
    const headers = { ...new WebhookSigner(SECRET).sign('evt_1', body, new Date()) };
    expect(() => new Webhook(SECRET).verify(body.replace('c1', 'c2'), headers)).toThrow();
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 8).toString('base64')}`).verify(body, headers)).toThrow();
  });
});
