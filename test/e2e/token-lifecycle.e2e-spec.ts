import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { closeAllClients, connect, connectError, type TestClient } from '../utils/clients';
import { orderUpdated, postJson, publish } from '../utils/http';
import { RedisServer } from '../utils/redis-server';
import { createTestApp, type TestApp } from '../utils/test-app';
import { adminToken, serviceToken, signToken } from '../utils/tokens';

const seconds = () => Math.floor(Date.now() / 1000);
const ended = (client: TestClient) => new Promise<{ reason: string }>((resolve) => client.socket.once('session:ended', resolve));

describe('token expiry and refresh', () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await createTestApp({ TOKEN_GRACE_SECONDS: '1' });
  });
  afterEach(() => closeAllClients());
  afterAll(() => server.close());

  it('warns with auth:expiring, then disconnects with AUTH_EXPIRED after the grace period', async () => {
    const exp = seconds() + 2;
    const client = await connect(server.url, '/orders', { token: signToken({ exp }) });
    expect(client.session.tokenExpiresAt).toBe(exp * 1000);
    expect(client.session.limits.tokenGraceSeconds).toBe(1);
    const endedWith = ended(client);
    await client.until((c) => c.events.some(([event]) => event === 'auth:expiring'));
    expect(client.events.find(([event]) => event === 'auth:expiring')?.[1]).toEqual({ expiresAt: exp * 1000, graceSeconds: 1 });
    expect(await endedWith).toEqual({ reason: 'AUTH_EXPIRED', message: expect.any(String) });
    expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000 + 1000);
  });

  it('keeps a socket that refreshed its token, and drops channels the new claims no longer allow', async () => {
    const exp = seconds() + 2;
    const client = await connect(server.url, '/orders', { token: signToken({ sub: 'u1', branchIds: ['b1', 'b2'], exp }) });
    await client.subscribe('branch:b1');
    await client.subscribe('branch:b2');
    const ack = await client.emitAck('auth:refresh', { token: signToken({ sub: 'u1', branchIds: ['b1'], exp: exp + 3600 }) });
    expect(ack).toEqual({ ok: true, expiresAt: (exp + 3600) * 1000, dropped: ['branch:b2'] });

    // Past the old deadline (exp + 1 s grace), the socket is still here and still receives b1, not b2.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, exp * 1000 + 1500 - Date.now())));
    await publish(server.url, orderUpdated('branch:b2', 'nope'));
    await publish(server.url, orderUpdated('branch:b1', 'yes'));
    await client.until((c) => c.envelopes().length === 1);
    expect(client.envelopes()[0].channel).toBe('branch:b1');
    expect(client.socket.connected).toBe(true);
    expect(client.events.some(([event]) => event === 'session:ended')).toBe(false);
  });

  it('refuses a refresh for another user or company, an older token, or an invalid one', async () => {
    const client = await connect(server.url, '/orders', { token: signToken({ sub: 'u1', exp: seconds() + 600 }) });
    const code = async (token: string) => (await client.emitAck<{ error?: { code: string } }>('auth:refresh', { token })).error?.code;
    expect(await code(signToken({ sub: 'u2', exp: seconds() + 3600 }))).toBe('FORBIDDEN');
    expect(await code(signToken({ sub: 'u1', companyId: 'globex', exp: seconds() + 3600 }))).toBe('FORBIDDEN');
    expect(await code(signToken({ sub: 'u1', exp: seconds() + 60 }))).toBe('AUTH_INVALID');
    expect(await code('garbage')).toBe('AUTH_INVALID');
    expect(await code(signToken({ sub: 'u1', roles: ['printer-agent'], exp: seconds() + 3600 }))).toBe('FORBIDDEN');
    expect(client.socket.connected).toBe(true);
  });
});

describe('revocation across nodes', () => {
  let redis: RedisServer;
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    redis = await RedisServer.start();
    a = await createTestApp({ REDIS_URL: redis.url });
    b = await createTestApp({ REDIS_URL: redis.url });
  });
  afterEach(() => closeAllClients());
  afterAll(async () => {
    await a.close();
    await b.close();
    await redis.stop();
  });

  const revoke = (body: Record<string, unknown>, token = adminToken('acme')) => postJson(`${a.url}/v1/admin/revoke`, body, token);

  it('disconnects a user’s sockets on every node within 5 s (REVOKED) and refuses the token afterwards', async () => {
    const token = signToken({ sub: 'fired', iat: seconds() - 5 });
    const onA = await connect(a.url, '/orders', { token });
    const onB = await connect(b.url, '/presence', { token });
    const bystander = await connect(b.url, '/orders', { token: signToken({ sub: 'colleague' }) });
    const endedA = ended(onA);
    const endedB = ended(onB);
    const started = Date.now();
    const revoked = await revoke({ companyId: 'acme', userId: 'fired' });
    expect(revoked.status).toBe(202);
    expect(await endedA).toMatchObject({ reason: 'REVOKED' });
    expect(await endedB).toMatchObject({ reason: 'REVOKED' });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(bystander.socket.connected).toBe(true);

    for (const server of [a, b]) expect((await connectError(server.url, '/orders', { token })).message).toBe('REVOKED');
    // A token issued after the revocation (a new login) works. iat has whole seconds, so a login
    // counts as "after" from the next second on; a future iat would be refused (AUTH_INVALID).
    const revokedAt = (revoked.body.revoked as { revokedAt: number }).revokedAt;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.floor(revokedAt / 1000) * 1000 + 1000 - Date.now())));
    await connect(b.url, '/orders', { token: signToken({ sub: 'fired' }) });
  });

  it('revokes one token by jti, and refuses revoked service tokens on HTTP', async () => {
    const stolen = signToken({ sub: 'svc', roles: ['service'], jti: 'stolen-1', branchIds: [] });
    expect((await publish(a.url, orderUpdated('branch:b1', 1), stolen)).status).toBe(202);
    // Used on b too, so b remembers it verified (PrincipalCache): the revocation must still bite.
    expect((await publish(b.url, orderUpdated('branch:b1', 1), stolen)).status).toBe(202);
    // Node b learns the rule through the bus, within seconds: a socket on b whose token has the
    // same jti is ended when it does, which is the moment to try b.
    const witness = await connect(b.url, '/orders', { token: signToken({ sub: 'witness', jti: 'stolen-1' }) });
    const bKnows = ended(witness);
    expect((await revoke({ companyId: 'acme', jti: 'stolen-1' }, serviceToken())).status).toBe(202);
    expect(await bKnows).toMatchObject({ reason: 'REVOKED' });
    const refused = await publish(b.url, orderUpdated('branch:b1', 2), stolen);
    expect([refused.status, (refused.body as { error: { code: string } }).error.code]).toEqual([401, 'REVOKED']);
    expect((await publish(b.url, orderUpdated('branch:b1', 3), serviceToken())).status).toBe(202);
  });

  it('lets admins revoke only in their own company, and refuses other roles', async () => {
    expect((await revoke({ companyId: 'globex', userId: 'x' })).status).toBe(403);
    expect((await revoke({ companyId: 'acme', userId: 'x' }, signToken({ roles: ['staff'] }))).status).toBe(403);
    expect((await revoke({ companyId: 'globex', userId: 'x' }, serviceToken('*'))).status).toBe(202);
    expect((await revoke({ userId: 'x' })).status).toBe(400);
  });
});

describe('key rotation with a JWKS', () => {
  let server: TestApp;
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const claims = { sub: 'u', companyId: 'acme', branchIds: ['b1'], roles: ['staff'] };

  beforeAll(async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sb-jwks-')), 'jwks.json');
    writeFileSync(
      file,
      JSON.stringify({
        keys: [
          { ...rsa.publicKey.export({ format: 'jwk' }), kid: '2026-10', alg: 'RS256' },
          { ...ec.publicKey.export({ format: 'jwk' }), kid: '2026-11', alg: 'ES256' },
        ],
      }),
    );
    server = await createTestApp({ JWT_SECRET: undefined, JWT_PUBLIC_KEY_FILE: file });
  });
  afterEach(() => closeAllClients());
  afterAll(() => server.close());

  it('accepts tokens signed by either current key, chosen by kid', async () => {
    await connect(server.url, '/orders', {
      token: jwt.sign(claims, rsa.privateKey, { algorithm: 'RS256', keyid: '2026-10', expiresIn: 60 }),
    });
    await connect(server.url, '/orders', {
      token: jwt.sign(claims, ec.privateKey, { algorithm: 'ES256', keyid: '2026-11', expiresIn: 60 }),
    });
  });

  it('refuses an unknown kid, a missing kid, and a key used under another kid', async () => {
    const cases = [
      jwt.sign(claims, rsa.privateKey, { algorithm: 'RS256', keyid: '2025-01', expiresIn: 60 }),
      jwt.sign(claims, rsa.privateKey, { algorithm: 'RS256', expiresIn: 60 }),
      jwt.sign(claims, rsa.privateKey, { algorithm: 'RS256', keyid: '2026-11', expiresIn: 60 }),
    ];
    for (const token of cases) expect((await connectError(server.url, '/orders', { token })).message).toBe('AUTH_INVALID');
  });
});
