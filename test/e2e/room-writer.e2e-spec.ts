import { closeAllClients, connect, type TestClient } from '../utils/clients';
import { orderUpdated, publish, publishBatch } from '../utils/http';
import { sample, scrape } from '../utils/metrics';
import { startRedis, type RedisBackend } from '../utils/redis-backend';
import { createTestApp, type TestApp } from '../utils/test-app';
import { staffToken } from '../utils/tokens';

/**
 * Live frames go straight to an idle WebSocket and through Engine.IO for everyone else
 * (src/realtime/room-writer.ts). Both paths must carry the same events, in the same order.
 */
describe.each(['memory', 'redis'] as const)('live frames by both write paths on the %s engine', (engine) => {
  let redis: RedisBackend | undefined;
  let server: TestApp;

  beforeAll(async () => {
    if (engine !== 'memory') redis = await startRedis(engine);
    server = await createTestApp({ ...redis?.env });
  });
  afterEach(() => closeAllClients());
  afterAll(async () => {
    await server?.close();
    await redis?.stop();
  });

  const frames = async (path: 'direct' | 'engine'): Promise<number> =>
    sample(await scrape(`${server.url}/metrics`), 'switchboard_delivery_frames_total', { path }) ?? 0;
  const client = (transports: ('websocket' | 'polling')[]): Promise<TestClient> =>
    connect(server.url, '/orders', { token: staffToken('acme', ['b1']), transports });

  it('sends a WebSocket client and a long-polling client the same events, in seq order', async () => {
    const [ws, polling] = await Promise.all([client(['websocket']), client(['polling'])]);
    await ws.subscribe('branch:b1');
    await polling.subscribe('branch:b1');
    const [directBefore, engineBefore] = [await frames('direct'), await frames('engine')];

    for (let i = 1; i <= 3; i++) expect((await publish(server.url, orderUpdated('branch:b1', `o${i}`))).status).toBe(202);
    const batch = await publishBatch(
      server.url,
      [4, 5, 6].map((i) => orderUpdated('branch:b1', `o${i}`)),
    );
    expect(batch.status).toBe(202);

    for (const each of [ws, polling]) await each.until((c) => c.envelopes('branch:b1').length === 6);
    expect(ws.envelopes('branch:b1').map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(polling.envelopes('branch:b1')).toEqual(ws.envelopes('branch:b1'));
    // The WebSocket's frames went straight to it, the polling client's through Engine.IO.
    expect((await frames('direct')) - directBefore).toBeGreaterThanOrEqual(1);
    expect((await frames('engine')) - engineBefore).toBeGreaterThanOrEqual(4);
  });

  it('keeps one stream in order while a polling client upgrades to WebSocket', async () => {
    // A browser's default: long-polling first, then the upgrade. Frames before and during it go
    // through Engine.IO, those after it straight to the WebSocket; the client sees one stream.
    const upgrading = await client(['polling', 'websocket']);
    const upgraded = new Promise<void>((resolve) => {
      const engineSocket = upgrading.socket.io.engine;
      if (engineSocket.transport.name === 'websocket') resolve();
      else engineSocket.once('upgrade', () => resolve());
    });
    const { seq: base } = await upgrading.subscribe('branch:b1');
    for (let i = 0; i < 10; i++) expect((await publish(server.url, orderUpdated('branch:b1', `u${i}`))).status).toBe(202);
    await upgraded;
    const directBefore = await frames('direct');
    for (let i = 10; i < 20; i++) expect((await publish(server.url, orderUpdated('branch:b1', `u${i}`))).status).toBe(202);
    await upgrading.until((c) => c.envelopes('branch:b1').filter((e) => e.seq > base).length === 20);
    expect(upgrading.envelopes('branch:b1').map((e) => e.seq - base)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // Once upgraded, frames go straight to the WebSocket (the server ends its side of the upgrade a
    // moment after the client, so not necessarily all ten).
    expect((await frames('direct')) - directBefore).toBeGreaterThan(0);
  });
});
