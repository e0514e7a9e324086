import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { closeAllClients, connect, connectError } from '../utils/clients';
import { createTestApp, type TestApp } from '../utils/test-app';
import { signToken, TEST_JWT_SECRET } from '../utils/tokens';

describe('handshake authentication (HS256, issuer and audience enforced)', () => {
  let server: TestApp;

  beforeAll(async () => {
    server = await createTestApp({ JWT_ISSUER: 'https://auth.test', JWT_AUDIENCE: 'switchboard' });
  });
  afterEach(() => closeAllClients());
  afterAll(() => server.close());

  const good = { iss: 'https://auth.test', aud: 'switchboard' };
  const expectCode = async (options: Parameters<typeof connectError>[2], code: string) => {
    const error = await connectError(server.url, '/orders', options);
    expect(error.message).toBe(code);
    expect(error.data).toEqual({ code, message: expect.any(String) });
    return error;
  };

  it('accepts a valid token in auth.token and announces the session', async () => {
    const client = await connect(server.url, '/orders', { token: signToken({ ...good, jti: 't-1' }) });
    expect(client.session).toEqual({
      sessionId: client.socket.id,
      namespace: '/orders',
      node: server.config.nodeId,
      user: { id: 'user-1', companyId: 'acme', branchIds: ['b1'], roles: ['staff'] },
      limits: {
        maxPayloadBytes: 16384,
        maxFrameBytes: 65536,
        maxSubscriptions: 100,
        messagesPerSecond: 100,
        burst: 50,
        rateLimitDisconnectSeconds: 5,
        maxBufferedBytes: 1048576,
        // Engine.IO's heartbeat: a socket that answers no ping for 25 + 20 s is closed.
        idleTimeoutSeconds: 45,
        tokenGraceSeconds: 30,
      },
      tokenExpiresAt: expect.any(Number),
      serverTime: expect.any(Number),
    });
    expect(client.session.tokenExpiresAt).toBeGreaterThan(Date.now());
  });

  it('accepts a valid token in an Authorization: Bearer header', async () => {
    const client = await connect(server.url, '/orders', {
      headers: { authorization: `Bearer ${signToken(good)}` },
      transports: ['polling', 'websocket'],
    });
    expect(client.session.user.companyId).toBe('acme');
  });

  it('AUTH_MISSING without a token', async () => {
    await expectCode({}, 'AUTH_MISSING');
  });

  it('AUTH_MISSING for a token in the query string, which is never accepted', async () => {
    const error = await expectCode({ query: { token: signToken(good) } }, 'AUTH_MISSING');
    expect(error.data?.message).toMatch(/query string/);
  });

  it('AUTH_INVALID for a bad signature', async () => {
    await expectCode({ token: signToken(good, {}, 'another-secret-that-is-long-enough-to-sign') }, 'AUTH_INVALID');
  });

  it('AUTH_INVALID for a malformed token, a non-string token and a wrong scheme', async () => {
    await expectCode({ token: 'not.a.jwt' }, 'AUTH_INVALID');
    await expectCode({ auth: { token: ['array'] } }, 'AUTH_INVALID');
    await expectCode({ headers: { authorization: 'Basic abc' }, transports: ['polling'] }, 'AUTH_INVALID');
  });

  it('AUTH_INVALID for an algorithm that is not allowed (HS512 when only HS256 is)', async () => {
    await expectCode({ token: signToken(good, { algorithm: 'HS512' }) }, 'AUTH_INVALID');
  });

  it('AUTH_INVALID for alg none', async () => {
    const unsigned = jwt.sign({ sub: 'x', companyId: 'acme', roles: ['staff'], ...good, exp: Math.floor(Date.now() / 1000) + 60 }, '', {
      algorithm: 'none',
    });
    await expectCode({ token: unsigned }, 'AUTH_INVALID');
  });

  it('AUTH_INVALID for a wrong issuer or audience', async () => {
    await expectCode({ token: signToken({ iss: 'https://evil.test', aud: 'switchboard' }) }, 'AUTH_INVALID');
    await expectCode({ token: signToken({ iss: 'https://auth.test', aud: 'someone-else' }) }, 'AUTH_INVALID');
    await expectCode({ token: signToken({ aud: 'switchboard' }) }, 'AUTH_INVALID');
  });

  it('AUTH_INVALID for a token without exp', async () => {
    const error = await expectCode({ token: signToken(good, { noTimestamp: true }) }, 'AUTH_INVALID');
    expect(error.data?.message).toMatch(/exp/);
  });

  it('AUTH_INVALID for claims it cannot interpret', async () => {
    await expectCode({ token: signToken({ ...good, roles: ['superuser'] }) }, 'AUTH_INVALID');
    await expectCode({ token: signToken({ ...good, companyId: '*', roles: ['staff'] }) }, 'AUTH_INVALID');
    await expectCode({ token: signToken({ ...good, branchIds: 'b1' as unknown as string[] }) }, 'AUTH_INVALID');
    await expectCode({ token: signToken({ ...good, companyId: 'acme corp' }) }, 'AUTH_INVALID');
  });

  it('AUTH_INVALID for an oversized token, before verifying it', async () => {
    await expectCode({ token: signToken({ ...good, padding: 'x'.repeat(9000) }) }, 'AUTH_INVALID');
  });

  it('AUTH_EXPIRED for an expired token', async () => {
    await expectCode({ token: signToken({ ...good, exp: Math.floor(Date.now() / 1000) - 10 }) }, 'AUTH_EXPIRED');
  });

  it('AUTH_INVALID, not AUTH_EXPIRED, for an expired token with a bad signature', async () => {
    const forged = signToken({ ...good, exp: Math.floor(Date.now() / 1000) - 10 }, {}, 'forger-secret-forger-secret-forger-secret');
    await expectCode({ token: forged }, 'AUTH_INVALID');
  });
});

describe('namespace access by role', () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await createTestApp();
  });
  afterEach(() => closeAllClients());
  afterAll(() => server.close());

  const matrix: [string, string, boolean][] = [];
  for (const namespace of ['/orders', '/availability']) {
    for (const role of ['admin', 'staff', 'printer-agent', 'service']) {
      matrix.push([namespace, role, role === 'admin' || role === 'staff']);
    }
  }

  it.each(matrix)('%s with role %s: allowed=%s', async (namespace, role, allowed) => {
    const token = signToken({ roles: [role], companyId: 'acme', branchIds: ['b1'] });
    if (allowed) {
      const client = await connect(server.url, namespace, { token });
      expect(client.session.namespace).toBe(namespace);
    } else {
      const error = await connectError(server.url, namespace, { token });
      expect(error.message).toBe('FORBIDDEN');
      expect(error.data?.code).toBe('FORBIDDEN');
    }
  });

  it('refuses a platform service token (companyId "*") on sockets', async () => {
    const error = await connectError(server.url, '/orders', { token: signToken({ companyId: '*', roles: ['service'] }) });
    expect(error.message).toBe('FORBIDDEN');
  });

  it('accepts a token with several roles when one of them is allowed', async () => {
    const client = await connect(server.url, '/orders', { token: signToken({ roles: ['printer-agent', 'staff'] }) });
    expect(client.session.user.roles).toEqual(['printer-agent', 'staff']);
  });
});

describe('handshake authentication with an RS256 public key', () => {
  let server: TestApp;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const claims = { sub: 'u', companyId: 'acme', branchIds: ['b1'], roles: ['staff'] };

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-keys-'));
    const file = join(dir, 'public.pem');
    writeFileSync(file, publicKey.export({ type: 'spki', format: 'pem' }));
    server = await createTestApp({ JWT_SECRET: undefined, JWT_PUBLIC_KEY_FILE: file });
  });
  afterEach(() => closeAllClients());
  afterAll(() => server.close());

  it('accepts RS256 tokens signed by the matching private key', async () => {
    const token = jwt.sign(claims, privateKey, { algorithm: 'RS256', expiresIn: 60 });
    expect((await connect(server.url, '/orders', { token })).session.user.id).toBe('u');
  });

  it('refuses HS256 signed with the public key (algorithm confusion) and HS256 with the old secret', async () => {
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    // jsonwebtoken refuses to sign HS256 with a PEM, so build the confused token by hand.
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
    const body = Buffer.from(JSON.stringify({ ...claims, exp: Math.floor(Date.now() / 1000) + 60 })).toString('base64url');
    const { createHmac } = await import('node:crypto');
    const signature = createHmac('sha256', pem).update(`${header}.${body}`).digest('base64url');
    for (const token of [`${header}.${body}.${signature}`, signToken(claims, {}, TEST_JWT_SECRET)]) {
      const error = await connectError(server.url, '/orders', { token });
      expect(error.message).toBe('AUTH_INVALID');
    }
  });
});
