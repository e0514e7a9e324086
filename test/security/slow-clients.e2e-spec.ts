import type { Socket } from 'node:net';
import { closeAllClients, connect } from '../utils/clients';
import { RawClient } from '../utils/raw-client';
import { closed, tcp } from '../utils/raw-tcp';
import { createTestApp, type TestApp } from '../utils/test-app';
import { staffToken } from '../utils/tokens';

/**
 * Slowloris requests and Engine.IO sessions that never join a namespace, many at once: the
 * timeouts drop them all, and throughout a legitimate client connects in under 500 ms.
 */
describe('slow and idle clients', () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await createTestApp({ HTTP_HEADERS_TIMEOUT_MS: '1500', WS_CONNECT_TIMEOUT_MS: '1500', CONNECTIONS_PER_IP: '0' });
  });
  afterAll(async () => {
    closeAllClients();
    await server.close();
  });

  it('drops 30 slowloris requests and 30 lurking sessions while new clients keep connecting quickly', async () => {
    const slow: Socket[] = [];
    for (let i = 0; i < 30; i++) {
      const socket = await tcp(server.url);
      socket.write(`GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n`);
      slow.push(socket);
    }
    const drip = setInterval(() => {
      for (const socket of slow) if (!socket.destroyed) socket.write('X-Drip: 1\r\n');
    }, 200);
    const lurkers = await Promise.all(Array.from({ length: 30 }, () => RawClient.open(server.url)));

    const connectTimes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      const client = await connect(server.url, '/orders', { token: staffToken() });
      connectTimes.push(performance.now() - started);
      client.close();
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    await Promise.all([...slow.map(closed), ...lurkers.map((lurker) => lurker.closed)]);
    clearInterval(drip);
    process.stdout.write(`[slow] legit connects during the attack: ${connectTimes.map((t) => t.toFixed(0)).join(', ')} ms\n`);
    for (const time of connectTimes) expect(time).toBeLessThan(500);
  }, 30_000);
});
