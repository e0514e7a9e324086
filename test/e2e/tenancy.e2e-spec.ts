import { closeAllClients, connect, type TestClient } from '../utils/clients';
import { publishBatch } from '../utils/http';
import { RedisServer } from '../utils/redis-server';
import { createTestApp, type TestApp } from '../utils/test-app';
import { serviceToken, signToken } from '../utils/tokens';

/**
 * Two companies that both have branch `b1` and user `u1`: every channel name is identical,
 * so only the company scoping of keys keeps them apart. Zero leaks, on both engines.
 */
describe.each(['memory', 'redis'] as const)('cross-tenant isolation on the %s engine', (engine) => {
  let redis: RedisServer | undefined;
  let first: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    if (engine === 'redis') redis = await RedisServer.start();
    first = await createTestApp({ REDIS_URL: redis?.url });
    // On Redis the second company's clients sit on another node, so isolation must hold across the cluster too.
    second = redis ? await createTestApp({ REDIS_URL: redis.url }) : first;
  });
  afterEach(() => closeAllClients());
  afterAll(async () => {
    await first.close();
    await second.close();
    await redis?.stop();
  });

  it('delivers every company only its own events, for identical channel names', async () => {
    const companies = ['acme', 'globex'];
    const clients = new Map<string, TestClient>();
    for (const [index, company] of companies.entries()) {
      const server = index === 0 ? first : second;
      const client = await connect(server.url, '/orders', {
        token: signToken({ sub: 'u1', companyId: company, branchIds: ['b1'], roles: ['staff'] }),
      });
      for (const channel of ['company:' + company, 'branch:b1', 'user:u1']) {
        expect(await client.subscribe(channel)).toMatchObject({ ok: true });
      }
      clients.set(company, client);
    }

    const perChannel = 5;
    for (const [index, company] of companies.entries()) {
      const server = index === 0 ? second : first; // publish through the other node
      const messages = ['company:' + company, 'branch:b1', 'user:u1'].flatMap((channel) =>
        Array.from({ length: perChannel }, (_, i) => ({
          namespace: 'orders',
          channel,
          event: 'order:updated',
          data: { orderId: `${company}-${channel}-${i}`, company },
        })),
      );
      const result = await publishBatch(server.url, messages, serviceToken(company));
      expect(result.status).toBe(202);
    }

    for (const company of companies) {
      const client = clients.get(company) as TestClient;
      await client.until((c) => c.envelopes().length === 3 * perChannel);
      const received = client.envelopes();
      expect(received.every((e) => (e.data as { company: string }).company === company)).toBe(true);
      for (const channel of ['company:' + company, 'branch:b1', 'user:u1']) {
        expect(client.envelopes(channel).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
      }
    }

    // Publish one more event per company and make sure no stragglers from the other tenant arrive after.
    for (const company of companies) {
      await publishBatch(
        first.url,
        [{ namespace: 'orders', channel: 'branch:b1', event: 'order:updated', data: { orderId: 'last', company } }],
        serviceToken(company),
      );
    }
    for (const company of companies) {
      const client = clients.get(company) as TestClient;
      await client.until((c) => c.envelopes('branch:b1').length === perChannel + 1);
      expect(client.envelopes().filter((e) => (e.data as { company: string }).company !== company)).toEqual([]);
    }
  });

  it('keeps namespaces apart too: /availability subscribers never see /orders events', async () => {
    const availability = await connect(first.url, '/availability', { token: signToken({ branchIds: ['b1'] }) });
    const orders = await connect(first.url, '/orders', { token: signToken({ branchIds: ['b1'] }) });
    await availability.subscribe('branch:b1');
    await orders.subscribe('branch:b1');
    await publishBatch(first.url, [
      { namespace: 'orders', channel: 'branch:b1', event: 'order:created', data: { orderId: 'n1' } },
      { namespace: 'availability', channel: 'branch:b1', event: 'item:available', data: { sku: 'S1' } },
    ]);
    await orders.until((c) => c.envelopes().some((e) => e.event === 'order:created'));
    await availability.until((c) => c.envelopes().some((e) => e.event === 'item:available'));
    expect(orders.envelopes().every((e) => e.event.startsWith('order'))).toBe(true);
    expect(availability.envelopes().every((e) => e.event.startsWith('item'))).toBe(true);
  });
});
