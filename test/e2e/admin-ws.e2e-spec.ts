import type { AdminStatsPayload } from '../../src/admin/admin.events';
import { closeAllClients, connect, connectError, type TestClient } from '../utils/clients';
import { RedisServer } from '../utils/redis-server';
import { createTestApp, type TestApp } from '../utils/test-app';
import { adminToken, staffToken } from '../utils/tokens';

function latest(client: TestClient): AdminStatsPayload | undefined {
  const stats = client.events.filter(([event]) => event === 'admin:stats');
  return stats[stats.length - 1]?.[1] as AdminStatsPayload | undefined;
}

const total = (stats: AdminStatsPayload | undefined) =>
  (stats?.nodes ?? []).reduce((sum, node) => sum + Object.values(node.connections).reduce((a, b) => a + b, 0), 0);

/** /admin-ws across two nodes on one Redis: cluster-wide numbers, one company per admin. */
describe('/admin-ws', () => {
  let redis: RedisServer;
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    redis = await RedisServer.start();
    a = await createTestApp({ REDIS_URL: redis.url, NODE_ID: 'node-a' });
    b = await createTestApp({ REDIS_URL: redis.url, NODE_ID: 'node-b' });
  });
  afterAll(async () => {
    closeAllClients();
    await a.close();
    await b.close();
    await redis.stop();
  });

  it('admits admins only', async () => {
    expect((await connectError(a.url, '/admin-ws', { token: staffToken('acme') })).message).toBe('FORBIDDEN');
  });

  it("shows the admin company's connections on every node, and nothing of other companies", async () => {
    const acme = await connect(a.url, '/admin-ws', { token: adminToken('acme') });
    const beta = await connect(b.url, '/admin-ws', { token: adminToken('beta') });
    await connect(b.url, '/orders', { token: staffToken('acme') });
    await connect(b.url, '/availability', { token: staffToken('acme') });
    await connect(a.url, '/orders', { token: staffToken('beta') });
    // acme: its admin on node-a plus two clients on node-b, seen from node-a.
    await acme.until((c) => total(latest(c)) === 3 && (latest(c)?.nodes.length ?? 0) === 2, 10_000);
    expect(latest(acme)?.nodes).toEqual([
      { node: 'node-a', connections: { '/admin-ws': 1 } },
      { node: 'node-b', connections: { '/orders': 1, '/availability': 1 } },
    ]);
    await beta.until((c) => total(latest(c)) === 2, 10_000);
    expect(latest(beta)).toMatchObject({ companyId: 'beta' });
    expect(JSON.stringify(latest(beta))).not.toContain('acme');
  }, 30_000);
});
