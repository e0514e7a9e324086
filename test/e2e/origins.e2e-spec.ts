import WebSocket from 'ws';
import { createTestApp, type TestApp } from '../utils/test-app';

/** A raw WebSocket upgrade, as a browser page would open it: 'open' or the refusal's HTTP status. */
function upgrade(server: TestApp, origin: string): Promise<string | number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`${server.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`, { origin });
    socket.on('open', () => {
      socket.close();
      resolve('open');
    });
    socket.on('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.on('error', () => undefined);
  });
}

/** The Engine.IO handshake, as a browser would open it, with a given Origin (or none). */
async function handshake(server: TestApp, origin?: string): Promise<number> {
  const response = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, { headers: origin ? { origin } : {} });
  await response.text();
  return response.status;
}

describe('browser origins', () => {
  describe('development default: any localhost origin', () => {
    let server: TestApp;
    beforeAll(async () => {
      server = await createTestApp();
    });
    afterAll(() => server.close());

    it('admits localhost origins and clients without an Origin, and refuses other sites', async () => {
      expect(await handshake(server, 'http://localhost:5173')).toBe(200);
      expect(await handshake(server, 'http://127.0.0.1:3001')).toBe(200);
      expect(await handshake(server)).toBe(200);
      expect(await handshake(server, 'https://evil.example')).toBe(403);
      expect(await handshake(server, 'http://localhost.evil.example')).toBe(403);
    });
  });

  describe('CORS_ORIGINS allowlist', () => {
    let server: TestApp;
    beforeAll(async () => {
      server = await createTestApp({ CORS_ORIGINS: 'https://app.example.com' });
    });
    afterAll(() => server.close());

    it('admits exactly the listed origins', async () => {
      expect(await handshake(server, 'https://app.example.com')).toBe(200);
      // WebSocket upgrades skip Engine.IO's CORS middleware, never the origin check.
      expect(await upgrade(server, 'https://app.example.com')).toBe('open');
      expect(await upgrade(server, 'https://evil.example')).toBe(400);
      expect(await handshake(server, 'http://localhost:5173')).toBe(403);
      expect(await handshake(server, 'https://app.example.com.evil.example')).toBe(403);
    });

    it('answers a polling request from a listed origin with CORS headers, credentials allowed', async () => {
      const response = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: 'https://app.example.com' } });
      await response.text();
      expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(response.headers.get('access-control-allow-credentials')).toBe('true');
      const preflight = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    });

    it('adds CORS headers to HTTP answers for a listed Origin, and none to a request without Origin', async () => {
      const browser = await fetch(`${server.url}/health/live`, { headers: { origin: 'https://app.example.com' } });
      expect(browser.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(browser.headers.get('vary')).toMatch(/Origin/);
      const service = await fetch(`${server.url}/health/live`);
      expect(service.status).toBe(200);
      expect(service.headers.get('access-control-allow-origin')).toBeNull();
      expect(service.headers.get('vary')).toBeNull();
    });

    it('answers HTTP CORS preflights for the listed origin only', async () => {
      const allowed = await fetch(`${server.url}/v1/publish`, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
      });
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      const refused = await fetch(`${server.url}/v1/publish`, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      });
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    });
  });
});
