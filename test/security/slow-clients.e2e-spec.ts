import { get as httpGet } from 'node:http';
import type { Socket } from 'node:net';
import { closeAllClients, connect } from '../utils/clients';
import { RawClient } from '../utils/raw-client';
import { closed, tcp } from '../utils/raw-tcp';
import { eventually } from '../utils/eventually';
import { createTestApp, type TestApp } from '../utils/test-app';
import { serviceToken, staffToken } from '../utils/tokens';

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

  it('keeps a long-polling client connected well past the headers timeout (its poll is a request, not a slowloris)', async () => {
    const client = await connect(server.url, '/orders', { token: staffToken('acme', ['b1']), transports: ['polling'] });
    await client.subscribe('branch:b1');
    let disconnects = 0;
    client.socket.on('disconnect', () => (disconnects += 1));
    // Past the 1.5 s headers timeout of the poll's connection, which the header timer used to
    // destroy (Engine.IO's requests never reached the listener that disarms it).
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const response = await fetch(`${server.url}/v1/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${serviceToken()}` },
      body: JSON.stringify({ namespace: 'orders', channel: 'branch:b1', event: 'order:updated', data: { orderId: 'o-poll' } }),
    });
    expect(response.status).toBe(202);
    await client.until((c) => c.envelopes('branch:b1').length === 1);
    expect(disconnects).toBe(0);
    client.close();
  }, 15_000);

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

    // Legitimate clients connect while the attack holds its connections (how fast is the bench's
    // business: npm run bench -- --arms=hostile).
    for (let i = 0; i < 5; i++) {
      const client = await connect(server.url, '/orders', { token: staffToken() });
      expect(client.socket.connected).toBe(true);
      client.close();
    }
    await Promise.all([...slow.map(closed), ...lurkers.map((lurker) => lurker.closed)]);
    clearInterval(drip);
  }, 30_000);
});

/** Finding 7 of the hostile review: a body trickling in is cut off, and one IP holds a bounded number of connections. */
describe('slow bodies and greedy peers', () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await createTestApp({ HTTP_REQUEST_TIMEOUT_MS: '1000', CONNECTIONS_PER_IP: '5', HTTP_CONNECTIONS_PER_IP: '20' });
  });
  afterAll(async () => {
    closeAllClients();
    await server.close();
  });

  it('answers a body trickling at a byte every 200 ms with 408 IDLE_TIMEOUT and closes its connection', async () => {
    const socket = await tcp(server.url);
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.write(
      `POST /v1/publish HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${serviceToken()}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n',
    );
    const drip = setInterval(() => socket.destroyed || socket.write('['), 200);
    try {
      await closed(socket);
    } finally {
      clearInterval(drip);
    }
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(answer).toMatch(/"code":"IDLE_TIMEOUT"/);
  });

  it('closes connections from one address past HTTP_CONNECTIONS_PER_IP on accept, and only from that address', async () => {
    const held = await Promise.all(Array.from({ length: 20 }, () => tcp(server.url)));
    const extra = await tcp(server.url);
    let received = 0;
    extra.on('data', (chunk: Buffer) => (received += chunk.length));
    extra.write('GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await closed(extra);
    expect(received).toBe(0);
    // Another address is not affected.
    const other = await fetchFrom('127.0.0.2', `${server.url}/health/live`);
    expect(other).toBe(200);
    // Once the server has seen them close, the address may connect again.
    for (const socket of held) socket.destroy();
    await eventually('connections counted down', async () => (await fetchFrom('127.0.0.1', `${server.url}/health/live`)) === 200, 5000);
  });
});

/** A GET from a chosen local address (loopback has all of 127/8). */
function fetchFrom(localAddress: string, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpGet(url, { localAddress }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
  });
}
