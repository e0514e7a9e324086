import { closeAllClients, connect } from '../utils/clients';
import { getJson, orderUpdated, postJson, publish } from '../utils/http';
import { freePort, RedisServer } from '../utils/redis-server';
import { createTestApp, type TestApp } from '../utils/test-app';
import { adminToken, signToken, staffToken } from '../utils/tokens';

/** A node that boots while Redis is down must come good on its own once Redis appears. */
describe('booting while Redis is unreachable', () => {
  let port: number;
  let redis: RedisServer | undefined;
  let early: TestApp;
  let later: TestApp | undefined;

  beforeAll(async () => {
    port = await freePort();
    early = await createTestApp({ REDIS_URL: `redis://127.0.0.1:${port}` });
  }, 30_000);
  afterAll(async () => {
    closeAllClients();
    await early.close();
    await later?.close();
    await redis?.stop();
  });

  async function untilStatus(url: string, status: number): Promise<void> {
    const deadline = Date.now() + 15_000;
    while ((await getJson(url)).status !== status) {
      if (Date.now() > deadline) throw new Error(`${url} never answered ${status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('is live but not ready, then ready, delivering events and cluster signals once Redis is there', async () => {
    expect((await getJson(`${early.url}/health/live`)).status).toBe(200);
    expect((await getJson(`${early.url}/health/ready`)).status).toBe(503);

    redis = await RedisServer.start({ port });
    await untilStatus(`${early.url}/health/ready`, 200);
    later = await createTestApp({ REDIS_URL: redis.url });

    const client = await connect(early.url, '/orders', { token: staffToken() });
    await client.subscribe('branch:b1');
    await publish(later.url, orderUpdated('branch:b1', 'cross-node'));
    await client.until((c) => c.envelopes().length === 1);

    // Revocation signals were subscribed to while Redis was down: they must arrive now.
    const doomed = await connect(early.url, '/orders', {
      token: signToken({ sub: 'late-revoke', iat: Math.floor(Date.now() / 1000) - 5 }),
    });
    const ended = new Promise((resolve) => doomed.socket.once('session:ended', resolve));
    const revokedAt = Date.now();
    expect((await postJson(`${later.url}/v1/admin/revoke`, { companyId: 'acme', userId: 'late-revoke' }, adminToken())).status).toBe(202);
    expect(await ended).toMatchObject({ reason: 'REVOKED' });
    expect(Date.now() - revokedAt).toBeLessThan(5000);
  }, 60_000);
});
