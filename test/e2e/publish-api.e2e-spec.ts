import { closeAllClients, connect } from '../utils/clients';
import { orderUpdated, postJson, publish, publishBatch } from '../utils/http';
import { createTestApp, type TestApp } from '../utils/test-app';
import { adminToken, serviceToken, signToken, staffToken } from '../utils/tokens';

type ErrorResponse = { error: { code: string; message: string; details?: { path: string }[] } };

describe('HTTP publish API', () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await createTestApp({ PUBLISH_MAX_DATA_BYTES: '1024' });
  });
  afterEach(() => closeAllClients());
  afterAll(() => server.close());

  const paths = (body: unknown) => ((body as ErrorResponse).error.details ?? []).map((d) => d.path);

  describe('authentication and tenancy', () => {
    it('401 AUTH_MISSING without a token', async () => {
      const result = await postJson<ErrorResponse>(`${server.url}/v1/publish`, orderUpdated('branch:b1', 1));
      expect(result.status).toBe(401);
      expect(result.body.error.code).toBe('AUTH_MISSING');
      expect(result.headers.get('www-authenticate')).toMatch(/^Bearer/);
    });

    it('401 AUTH_INVALID for a bad token and AUTH_EXPIRED for an expired one', async () => {
      const bad = await publish(server.url, orderUpdated('branch:b1', 1), 'garbage');
      expect([bad.status, (bad.body as ErrorResponse).error.code]).toEqual([401, 'AUTH_INVALID']);
      const expired = signToken({ roles: ['service'], exp: Math.floor(Date.now() / 1000) - 5 });
      const old = await publish(server.url, orderUpdated('branch:b1', 1), expired);
      expect([old.status, (old.body as ErrorResponse).error.code]).toEqual([401, 'AUTH_EXPIRED']);
    });

    it('403 FORBIDDEN for tokens without the service role', async () => {
      for (const token of [staffToken(), adminToken()]) {
        const result = await publish(server.url, orderUpdated('branch:b1', 1), token);
        expect([result.status, (result.body as ErrorResponse).error.code]).toEqual([403, 'FORBIDDEN']);
      }
    });

    it('403 FORBIDDEN when a tenant token names another company; its own company is fine', async () => {
      const other = await publish(server.url, { ...orderUpdated('branch:b1', 1), companyId: 'globex' });
      expect([other.status, (other.body as ErrorResponse).error.code]).toEqual([403, 'FORBIDDEN']);
      const own = await publish(server.url, { ...orderUpdated('branch:b1', 1), companyId: 'acme' });
      expect(own.status).toBe(202);
    });

    it('requires companyId with a platform token, and publishes into that company', async () => {
      const platform = serviceToken('*');
      const missing = await publish(server.url, orderUpdated('branch:b1', 1), platform);
      expect(missing.status).toBe(400);
      expect(paths(missing.body)).toEqual(['companyId']);

      const globex = await connect(server.url, '/orders', { token: staffToken('globex') });
      await globex.subscribe('branch:b1');
      const result = await publish(server.url, { ...orderUpdated('branch:b1', 'g-1'), companyId: 'globex' }, platform);
      expect(result.status).toBe(202);
      await globex.until((c) => c.envelopes().length === 1);
    });
  });

  describe('validation', () => {
    it.each([
      ['an unknown namespace', { ...orderUpdated('branch:b1', 1), namespace: 'payments' }, 'namespace'],
      ['an event outside the catalog', { ...orderUpdated('branch:b1', 1), event: 'order:deleted' }, 'event'],
      ['a malformed event name', { ...orderUpdated('branch:b1', 1), event: 'OrderUpdated' }, 'event'],
      ['a forged channel', orderUpdated('Branch:b1', 1), 'channel'],
      ['missing orderId', { ...orderUpdated('branch:b1', 1), data: { total: 3 } }, 'data.orderId'],
      ['a boolean orderId', { ...orderUpdated('branch:b1', 1), data: { orderId: true } }, 'data.orderId'],
      ['data that is an array', { ...orderUpdated('branch:b1', 1), data: [1] }, 'data'],
      ['an unknown top-level field', { ...orderUpdated('branch:b1', 1), priority: 'high' }, 'priority'],
      ['a spaced idempotencyKey', { ...orderUpdated('branch:b1', 1), idempotencyKey: 'a b' }, 'idempotencyKey'],
    ])('400 VALIDATION_FAILED for %s, naming the field', async (_label, body, field) => {
      const result = await publish(server.url, body);
      expect(result.status).toBe(400);
      expect((result.body as ErrorResponse).error.code).toBe('VALIDATION_FAILED');
      expect(paths(result.body)).toContain(field);
    });

    it.each([
      ['order:status-changed', 'orders', { orderId: 1 }, ['data.status']],
      ['delivery:updated', 'orders', {}, ['data.orderId']],
      ['stock:changed', 'availability', { sku: 'A' }, ['data.quantity']],
      ['stock:low', 'availability', { sku: 'A', quantity: 1 }, ['data.threshold']],
      ['item:unavailable', 'availability', { quantity: 1 }, ['data.sku']],
      ['item:available', 'availability', { sku: '' }, ['data.sku']],
    ])('checks the required data of %s', async (event, namespace, data, fields) => {
      const result = await publish(server.url, { namespace, channel: 'company:acme', event, data });
      expect(result.status).toBe(400);
      expect(paths(result.body)).toEqual(fields);
    });

    it.each([
      ['order:created', 'orders', { orderId: 'o-1' }],
      ['order:status-changed', 'orders', { orderId: 7, status: 'ready', extra: { nested: true } }],
      ['stock:low', 'availability', { sku: 'A', quantity: 1, threshold: 5 }],
      ['item:available', '/availability', { sku: 'A' }],
    ])('accepts %s with its required data (and extra fields)', async (event, namespace, data) => {
      const result = await publish(server.url, { namespace, channel: 'company:acme', event, data });
      expect(result.status).toBe(202);
    });

    it('400 for a body that is not JSON', async () => {
      const response = await fetch(`${server.url}/v1/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${serviceToken()}` },
        body: '{"namespace":',
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as ErrorResponse).error.code).toBe('VALIDATION_FAILED');
    });

    it('413 PAYLOAD_TOO_LARGE for data over the limit', async () => {
      const result = await publish(server.url, orderUpdated('branch:b1', 1, { notes: 'x'.repeat(2000) }));
      expect(result.status).toBe(413);
      expect((result.body as ErrorResponse).error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: { limit: 1024 } });
    });

    it('404 NOT_FOUND in the same error shape for unknown routes', async () => {
      const result = await postJson<ErrorResponse>(`${server.url}/v1/nothing`, {}, serviceToken());
      expect(result.status).toBe(404);
      expect(result.body.error.code).toBe('NOT_FOUND');
    });
  });

  describe('batch', () => {
    it('answers results in request order', async () => {
      const result = await publishBatch(server.url, [
        orderUpdated('branch:x1', 1),
        orderUpdated('branch:x2', 1),
        orderUpdated('branch:x1', 2),
      ]);
      expect(result.status).toBe(202);
      expect(result.body.results.map((r) => [r.channel, r.seq])).toEqual([
        ['branch:x1', 1],
        ['branch:x2', 1],
        ['branch:x1', 2],
      ]);
    });

    it('validates the whole batch first: one bad message publishes nothing, and every bad field is named', async () => {
      const client = await connect(server.url, '/orders', { token: staffToken('acme', ['y1']) });
      await client.subscribe('branch:y1');
      const result = await publishBatch(server.url, [
        orderUpdated('branch:y1', 1),
        { ...orderUpdated('branch:y1', 2), data: {} },
        { ...orderUpdated('branch:y1', 3), event: 'nope:nope' },
      ]);
      expect(result.status).toBe(400);
      expect(paths(result.body)).toEqual(['messages[1].data.orderId', 'messages[2].event']);
      const after = await client.subscribe('branch:y1');
      expect(after.seq).toBe(0);
    });

    it('refuses more than 500 messages, and an empty batch', async () => {
      const many = Array.from({ length: 501 }, (_, i) => orderUpdated('branch:z', i));
      const tooMany = await publishBatch(server.url, many);
      expect(tooMany.status).toBe(400);
      expect(paths(tooMany.body)).toContain('messages');
      expect((await publishBatch(server.url, [])).status).toBe(400);
    });

    it('accepts exactly 500 messages', async () => {
      const result = await publishBatch(
        server.url,
        Array.from({ length: 500 }, (_, i) => orderUpdated('branch:full', i)),
      );
      expect(result.status).toBe(202);
      expect(result.body.results.at(-1)?.seq).toBe(500);
    });
  });
});
