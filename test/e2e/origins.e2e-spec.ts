import { createTestApp, type TestApp } from '../utils/test-app';

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
      expect(await handshake(server, 'http://localhost:5173')).toBe(403);
      expect(await handshake(server, 'https://app.example.com.evil.example')).toBe(403);
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
