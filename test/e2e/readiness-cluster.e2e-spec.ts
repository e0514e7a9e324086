import type { Socket } from 'node:net';
import { NodeRegistry } from '../../src/cluster/node-registry.service';
import { RedisConnections } from '../../src/redis/redis-connections.service';
import { getJson } from '../utils/http';
import { RedisServer } from '../utils/redis-server';
import { createTestApp, type TestApp } from '../utils/test-app';

type Ready = { details: { bus: { status: string; alive: number; echoed: string[]; missing: string[]; message?: string } } };

/** /health/ready as a bus round trip across every live node, on a real Redis with two nodes. */
describe('readiness probes every live node through the bus', () => {
  let redis: RedisServer;
  let a: TestApp;
  let b: TestApp;
  const instance = (node: TestApp) => node.app.get(NodeRegistry).instanceId;

  beforeAll(async () => {
    redis = await RedisServer.start();
    a = await createTestApp({ REDIS_URL: redis.url });
    b = await createTestApp({ REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await redis.stop();
  });

  it('is ready when every live node echoes the probe', async () => {
    const ready = await getJson<Ready>(`${a.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body.details.bus).toMatchObject({ status: 'up', alive: 2, missing: [] });
    expect(ready.body.details.bus.echoed.sort()).toEqual([instance(a), instance(b)].sort());
  });

  it('a wedged subscriber turns that node red; its peer stays ready and names it as missing', async () => {
    // B's bus subscriber connection stays open but stops reading: messages pile up unseen.
    const stream = (b.app.get(RedisConnections).get('bus-subscriber') as unknown as { stream: Socket }).stream;
    stream.pause();
    try {
      const wedged = await getJson<Ready>(`${b.url}/health/ready`);
      expect(wedged.status).toBe(503);
      expect(wedged.body.details.bus).toMatchObject({ status: 'down', message: expect.stringMatching(/own probe did not come back/) });
      expect(wedged.body.details.bus.missing).toContain(instance(b));

      const peer = await getJson<Ready>(`${a.url}/health/ready`);
      expect(peer.status).toBe(200);
      expect(peer.body.details.bus).toMatchObject({ status: 'up', alive: 2, missing: [instance(b)] });
    } finally {
      stream.resume();
    }
    // Unwedged, it recovers without a restart.
    const recovered = await getJson<Ready>(`${b.url}/health/ready`);
    expect(recovered.status).toBe(200);
    expect(recovered.body.details.bus.missing).toEqual([]);
  });
});
