import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeAllClients, connect } from '../utils/clients';
import { orderUpdated, publish } from '../utils/http';
import { freePort, RedisServer } from '../utils/redis-server';
import { createTestApp, type TestApp } from '../utils/test-app';
import { staffToken } from '../utils/tokens';

/** A private CA and a server certificate for 127.0.0.1, made with openssl (installed by .ci/run when missing). */
function certificates(dir: string): { ca: string; cert: string; key: string } {
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=switchboard-test-ca',
  );
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(file('ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
  );
  return { ca: file('ca.crt'), cert: file('server.crt'), key: file('server.key') };
}

/**
 * Redis over TLS (a private CA, REDIS_TLS_CA_FILE) with an ACL user (REDIS_USERNAME /
 * REDIS_PASSWORD) and no default user: the app boots, publishes and delivers, and health says so.
 */
describe('Redis with TLS and an ACL user', () => {
  let dir: string;
  let redis: RedisServer;
  let port: number;
  let app: TestApp | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-tls-'));
    const { ca, cert, key } = certificates(dir);
    port = await freePort();
    redis = await RedisServer.start({
      args: [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--tls-cert-file',
        cert,
        '--tls-key-file',
        key,
        '--tls-ca-cert-file',
        ca,
        '--tls-auth-clients',
        'no',
        '--user',
        'default',
        'off',
        '--user',
        'switchboard',
        'on',
        '>s3cret-pass',
        '~*',
        '&*',
        '+@all',
      ],
    });
    app = await createTestApp({
      REDIS_URL: `rediss://127.0.0.1:${port}`,
      REDIS_USERNAME: 'switchboard',
      REDIS_PASSWORD: 's3cret-pass',
      REDIS_TLS_CA_FILE: ca,
    });
  }, 60_000);
  afterAll(async () => {
    closeAllClients();
    await app?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes and delivers over TLS as the ACL user, and health names the mode without the password', async () => {
    const url = (app as TestApp).url;
    const client = await connect(url, '/orders', { token: staffToken('acme', ['b1']) });
    expect(await client.subscribe('branch:b1')).toMatchObject({ ok: true });
    const result = await publish(url, orderUpdated('branch:b1', 'o-tls'));
    expect(result.status).toBe(202);
    expect(result.body).toMatchObject({ seq: 1 });
    await client.until((c) => c.envelopes('branch:b1').length === 1);

    const health = await fetch(`${url}/health/redis`);
    const text = await health.text();
    expect(JSON.parse(text)).toMatchObject({ details: { redis: { status: 'up', mode: 'standalone' } } });
    expect(text).not.toContain('s3cret-pass');
  });
});
