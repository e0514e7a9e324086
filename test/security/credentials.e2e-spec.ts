import { createHmac } from 'node:crypto';
import { closeAllClients, connect, connectError, type TestClient } from '../utils/clients';
import { orderUpdated, postJson, publish } from '../utils/http';
import { RawClient } from '../utils/raw-client';
import { RedisServer } from '../utils/redis-server';
import { createTestApp, type TestApp } from '../utils/test-app';
import { adminToken, serviceToken, signToken, staffToken, TEST_JWT_SECRET } from '../utils/tokens';

const now = () => Math.floor(Date.now() / 1000);

/** An HS256 token with exactly these claims (jsonwebtoken refuses to sign a non-numeric iat). */
function rawToken(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const body = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${body}.${createHmac('sha256', TEST_JWT_SECRET).update(body).digest('base64url')}`;
}
const revoke = (url: string, rule: Record<string, unknown>, token: string) => postJson(`${url}/v1/admin/revoke`, rule, token);
const ended = (client: TestClient) =>
  new Promise<unknown>((resolve) => client.socket.once('session:ended', (payload: unknown) => resolve(payload)));

/** A platform token: companyId "*", for the HTTP API. */
const platform = (sub: string, roles: string[], extra: Record<string, unknown> = {}) =>
  signToken({ sub, companyId: '*', branchIds: [], roles, ...extra });

/**
 * Findings 3, 4 and 10 of the hostile review: every credential has a kill switch, including the
 * platform's own; a token cannot dodge revocation with an `iat` in the future; platform tokens
 * never reach sockets; an oversized handshake is told why.
 */
describe('credentials and their kill switches', () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await createTestApp({ JWT_CLOCK_TOLERANCE_SECONDS: '5' });
  });
  afterAll(async () => {
    closeAllClients();
    await server.close();
  });

  describe('platform tokens (companyId "*")', () => {
    it('are revoked by jti: the token stops publishing at once, other platform tokens carry on', async () => {
      const doomed = platform('backend', ['service'], { jti: 'plat-1' });
      const other = platform('backend', ['service'], { jti: 'plat-2' });
      expect((await publish(server.url, { ...orderUpdated('branch:b1', 'o-1'), companyId: 'acme' }, doomed)).status).toBe(202);
      const answer = await revoke(server.url, { companyId: '*', jti: 'plat-1' }, platform('root', ['admin']));
      expect(answer.status).toBe(202);
      expect(answer.body.revoked).toMatchObject({ companyId: '*', jti: 'plat-1' });
      const refused = await publish(server.url, { ...orderUpdated('branch:b1', 'o-2'), companyId: 'acme' }, doomed);
      expect(refused.status).toBe(401);
      expect(refused.body.error).toMatchObject({ code: 'REVOKED' });
      expect((await publish(server.url, { ...orderUpdated('branch:b1', 'o-3'), companyId: 'acme' }, other)).status).toBe(202);
    });

    it('are revoked by sub: every platform token of that subject issued before, none issued after', async () => {
      const before = platform('batch-job', ['service'], { iat: now() - 10 });
      expect((await revoke(server.url, { companyId: '*', userId: 'batch-job' }, platform('root', ['admin']))).status).toBe(202);
      expect((await publish(server.url, { ...orderUpdated('branch:b1', 'o'), companyId: 'acme' }, before)).body.error).toMatchObject({
        code: 'REVOKED',
      });
      const after = platform('batch-job', ['service'], { iat: now() + 1 });
      expect((await publish(server.url, { ...orderUpdated('branch:b1', 'o'), companyId: 'acme' }, after)).status).toBe(202);
    });

    it('may be revoked only by a platform admin', async () => {
      const rule = { companyId: '*', jti: 'anything' };
      for (const token of [platform('backend', ['service']), adminToken('acme'), serviceToken('acme')]) {
        const answer = await revoke(server.url, rule, token);
        expect(answer.status).toBe(403);
        expect(answer.body.error).toMatchObject({ code: 'FORBIDDEN' });
      }
      // A platform admin also acts for any one company.
      expect((await revoke(server.url, { companyId: 'globex', userId: 'someone' }, platform('root', ['admin']))).status).toBe(202);
    });

    it('never reach a socket: a platform admin or service token is refused at the handshake', async () => {
      for (const roles of [['admin'], ['service'], ['service', 'admin']]) {
        const error = await connectError(server.url, '/orders', { token: platform('p', roles) });
        expect([roles.join(','), error.data?.code]).toEqual([roles.join(','), 'FORBIDDEN']);
      }
      const admin = await connectError(server.url, '/admin-ws', { token: platform('p', ['admin']) });
      expect(admin.data?.code).toBe('FORBIDDEN');
    });

    it('with a tenant role are invalid tokens, refused at the handshake rather than failing later', async () => {
      for (const roles of [['service', 'staff'], ['staff'], ['admin', 'printer-agent']]) {
        const error = await connectError(server.url, '/orders', { token: platform('p', roles) });
        expect([roles.join(','), error.data?.code]).toEqual([roles.join(','), 'AUTH_INVALID']);
      }
    });

    it('cannot be used to name company "*" in a request', async () => {
      const answer = await publish(server.url, { ...orderUpdated('branch:b1', 'o'), companyId: '*' }, platform('backend', ['service']));
      expect(answer.status).toBe(400);
    });
  });

  describe('iat', () => {
    it('refuses a token issued in the future, on sockets and over HTTP', async () => {
      const future = signToken({ iat: now() + 3600 });
      expect((await connectError(server.url, '/orders', { token: future })).data).toMatchObject({
        code: 'AUTH_INVALID',
        message: expect.stringMatching(/issued in the future/),
      });
      const answer = await publish(
        server.url,
        orderUpdated('branch:b1', 'o'),
        signToken({ sub: 'svc', branchIds: [], roles: ['service'], iat: now() + 3600 }),
      );
      expect(answer.status).toBe(401);
      expect(answer.body.error).toMatchObject({ code: 'AUTH_INVALID' });
    });

    it('allows the configured clock tolerance', async () => {
      const client = await connect(server.url, '/orders', { token: signToken({ iat: now() + 3 }) });
      expect(client.socket.connected).toBe(true);
      client.close();
    });

    it('refuses an iat that is not a number', async () => {
      for (const iat of [String(now()), null, true, [now()]]) {
        const token = rawToken({ sub: 'user-1', companyId: 'acme', branchIds: ['b1'], roles: ['staff'], exp: now() + 3600, iat });
        const error = await connectError(server.url, '/orders', { token });
        expect([JSON.stringify(iat), error.data?.code]).toEqual([JSON.stringify(iat), 'AUTH_INVALID']);
      }
    });

    it('so a revoked user cannot escape with a future-dated token (the case that used to stay connected)', async () => {
      const victim = await connect(server.url, '/orders', { token: staffToken('acme', ['b1'], 'escapee') });
      const gone = ended(victim);
      expect((await revoke(server.url, { companyId: 'acme', userId: 'escapee' }, adminToken('acme'))).status).toBe(202);
      expect(await gone).toMatchObject({ reason: 'REVOKED' });
      const forged = signToken({ sub: 'escapee', iat: now() + 7 * 86400 });
      expect((await connectError(server.url, '/orders', { token: forged })).data?.code).toBe('AUTH_INVALID');
    });
  });

  describe('oversized handshakes', () => {
    it('answers a 100 KB token with connect_error AUTH_INVALID, not a silent close', async () => {
      const error = await connectError(server.url, '/orders', { token: 'x'.repeat(100_000) });
      expect(error.message).toBe('AUTH_INVALID');
      expect(error.data).toMatchObject({ code: 'AUTH_INVALID', message: expect.stringMatching(/handshake is larger/) });
    });
  });

  describe('frame limits follow what a connection joined', () => {
    it('closes an /orders connection that names /printing-ws in a 900 KB frame', async () => {
      const raw = await RawClient.open(server.url);
      expect(await raw.join('/orders', staffToken())).toMatch(/^40\/orders,/);
      raw.send(`42/printing-ws,["printers:register",{"pad":"${'x'.repeat(900_000)}"}]`);
      expect((await raw.closed).code).toBeGreaterThan(0);
    });

    it('lets a connection that joined /printing-ws send a large frame (the message limit answers it)', async () => {
      const raw = await RawClient.open(server.url);
      const agent = signToken({ sub: 'agent-1', branchIds: ['b1'], roles: ['printer-agent'] });
      expect(await raw.join('/printing-ws', agent)).toMatch(/^40\/printing-ws,/);
      raw.send(`42/printing-ws,7["printers:status",{"pad":"${'x'.repeat(900_000)}"}]`);
      await raw.until((frames) => frames.some((frame) => typeof frame === 'string' && frame.startsWith('43/printing-ws,7')), 5000);
      expect(raw.frames.find((frame) => typeof frame === 'string' && frame.startsWith('43/printing-ws,7'))).toMatch(/PAYLOAD_TOO_LARGE/);
      expect(raw.isOpen).toBe(true);
      raw.ws.close();
    });
  });
});

/** Finding 11: a company-wide revocation, across two nodes: every socket of the company, no other. */
describe('company-wide revocation across nodes', () => {
  let redis: RedisServer;
  let nodes: TestApp[];
  beforeAll(async () => {
    redis = await RedisServer.start();
    const env = { REDIS_URL: redis.url, JWT_CLOCK_TOLERANCE_SECONDS: '5' };
    nodes = [await createTestApp(env), await createTestApp(env)];
  });
  afterAll(async () => {
    closeAllClients();
    for (const node of nodes) await node.close();
    await redis.stop();
  });

  it('disconnects every acme socket on both nodes (REVOKED), leaves beta alone, and refuses old tokens but not new ones', async () => {
    const old = { iat: now() - 5 };
    const acme = await Promise.all(
      nodes.flatMap((node, n) => [
        connect(node.url, '/orders', { token: signToken({ sub: `u${n}a`, ...old }) }),
        connect(node.url, '/availability', { token: signToken({ sub: `u${n}b`, ...old }) }),
        connect(node.url, '/orders', { token: signToken({ sub: `admin${n}`, branchIds: ['*'], roles: ['admin'], ...old }) }),
      ]),
    );
    const beta = await Promise.all(nodes.map((node) => connect(node.url, '/orders', { token: staffToken('beta') })));
    const endings = acme.map(ended);
    expect((await revoke(nodes[0].url, { companyId: 'acme' }, adminToken('acme'))).status).toBe(202);
    expect(await Promise.all(endings)).toEqual(acme.map(() => expect.objectContaining({ reason: 'REVOKED' })));
    for (const client of beta) expect(await client.emitAck('session:ping', {})).toMatchObject({ ok: true });
    for (const node of nodes) {
      expect((await connectError(node.url, '/orders', { token: signToken(old) })).data?.code).toBe('REVOKED');
      expect(
        (await publish(node.url, orderUpdated('branch:b1', 'o'), signToken({ sub: 'svc', branchIds: [], roles: ['service'], ...old })))
          .status,
      ).toBe(401);
    }
    const fresh = await connect(nodes[1].url, '/orders', { token: signToken({ iat: now() + 1 }) });
    expect(fresh.socket.connected).toBe(true);
  });
});
