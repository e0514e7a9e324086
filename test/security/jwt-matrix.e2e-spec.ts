import { createHmac, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { closeAllClients, connect, connectError } from '../utils/clients';
import { postJson } from '../utils/http';
import { buildOnce, startServerProcess, type ServerProcess } from '../utils/server-process';

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Every malformed, forged or stale token, against a real server process (RS256 keys in a JWKS,
 * issuer and audience enforced, verbose JSON logs). Each gets its code at once, and no token
 * ever shows up in the process's logs.
 */
describe('JWT matrix', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  let server: ServerProcess;
  const claims = { sub: 'u1', companyId: 'acme', branchIds: ['b1'], roles: ['staff'] };
  const good = { iss: 'https://id.test', aud: 'switchboard' };
  const now = () => Math.floor(Date.now() / 1000);
  const sign = (payload: Record<string, unknown>, options: jwt.SignOptions = {}) =>
    jwt.sign({ ...claims, ...good, ...payload }, privateKey, { algorithm: 'RS256', keyid: 'k1', ...options });

  beforeAll(async () => {
    buildOnce();
    const file = join(mkdtempSync(join(tmpdir(), 'sb-jwks-')), 'jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256' }] }));
    server = await startServerProcess({
      JWT_PUBLIC_KEY_FILE: file,
      JWT_ISSUER: 'https://id.test',
      JWT_AUDIENCE: 'switchboard',
      LOG_LEVEL: 'verbose',
    });
  }, 120_000);
  afterAll(async () => {
    closeAllClients();
    await server.stop();
  });

  const confused = (() => {
    const header = base64url({ alg: 'HS256', typ: 'JWT', kid: 'k1' });
    const body = base64url({ ...claims, ...good, exp: now() + 600 });
    return `${header}.${body}.${createHmac('sha256', publicPem).update(`${header}.${body}`).digest('base64url')}`;
  })();
  const unsigned = `${base64url({ alg: 'none', typ: 'JWT', kid: 'k1' })}.${base64url({ ...claims, ...good, exp: now() + 600 })}.`;

  const matrix: [string, string, { token?: string; query?: Record<string, string> }][] = [
    ['no token', 'AUTH_MISSING', {}],
    ['a malformed token', 'AUTH_INVALID', { token: 'abc.def' }],
    ['alg none', 'AUTH_INVALID', { token: unsigned }],
    ['HS256 signed with the public key (algorithm confusion)', 'AUTH_INVALID', { token: confused }],
    ['an expired token', 'AUTH_EXPIRED', { token: sign({ exp: now() - 60 }) }],
    ['nbf in the future', 'AUTH_INVALID', { token: sign({ exp: now() + 600, nbf: now() + 300 }) }],
    ['a wrong issuer', 'AUTH_INVALID', { token: sign({ exp: now() + 600, iss: 'https://evil.test' }) }],
    ['a wrong audience', 'AUTH_INVALID', { token: sign({ exp: now() + 600, aud: 'someone-else' }) }],
    ['no exp', 'AUTH_INVALID', { token: sign({}, { noTimestamp: true }) }],
    ['an unknown kid', 'AUTH_INVALID', { token: sign({ exp: now() + 600 }, { keyid: 'k9' }) }],
    ['a 9 KB token', 'AUTH_INVALID', { token: sign({ exp: now() + 600, pad: 'p'.repeat(9000) }) }],
    ['a token in the query string', 'AUTH_MISSING', { query: { token: sign({ exp: now() + 600 }) } }],
  ];

  it.each(matrix)('%s gets %s in connect_error within 200 ms', async (_label, code, options) => {
    const started = performance.now();
    const error = await connectError(server.url, '/orders', options);
    const elapsed = performance.now() - started;
    expect(error.message).toBe(code);
    expect(error.data?.code).toBe(code);
    expect(elapsed).toBeLessThan(200);
  });

  it.each(matrix.filter(([, , options]) => options.token !== undefined))(
    '%s gets a 401 on the HTTP API',
    async (_label, _code, options) => {
      const result = await postJson(
        `${server.url}/v1/publish`,
        { namespace: 'orders', channel: 'branch:b1', event: 'order:updated', data: { orderId: 1 } },
        options.token,
      );
      expect(result.status).toBe(401);
    },
  );

  it('accepts a good token, and never writes any token to its logs', async () => {
    const token = sign({ exp: now() + 600 });
    await connect(server.url, '/orders', { token });
    const logs = server.output();
    expect(logs.length).toBeGreaterThan(0);
    const tokens = [token, confused, unsigned, ...matrix.flatMap(([, , options]) => [options.token, options.query?.token])].filter(
      (value): value is string => typeof value === 'string' && value.length > 20,
    );
    for (const secret of tokens) {
      expect(logs.includes(secret)).toBe(false);
      // Not even the signature or the payload segment.
      for (const part of secret.split('.').filter((segment) => segment.length > 20)) expect(logs.includes(part)).toBe(false);
    }
  });
});
