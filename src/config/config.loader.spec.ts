import { generateKeyPairSync } from 'node:crypto';
import { DEVELOPMENT_JWT_SECRET, loadConfig, type ConfigIo } from './config.loader';

const SECRET = 'x'.repeat(32);
const io = (files: Record<string, string> = {}): ConfigIo => ({
  readFile: (path) => {
    if (!(path in files)) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
    return files[path];
  },
  hostname: () => 'host.example',
  pid: 42,
});

const errorsOf = (env: Record<string, string>, files?: Record<string, string>): readonly string[] => {
  const result = loadConfig(env, io(files));
  if (result.ok) throw new Error('expected errors');
  return result.errors;
};

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const result = loadConfig({ JWT_SECRET: SECRET }, io());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      host: '0.0.0.0',
      nodeId: 'host.example-42',
      redis: undefined,
      cors: { kind: 'localhost' },
      history: { size: 1000, ttlSeconds: 86400, positionTtlSeconds: 604800 },
      limits: { maxSubscriptionsPerSocket: 100, maxMessageBytes: 16384, maxFrameBytes: 65536, publishMaxDataBytes: 65536 },
      idempotencyTtlSeconds: 300,
      jwt: { keySource: 'secret', algorithms: ['HS256'], clockToleranceSeconds: 0 },
      log: { level: 'log', format: 'pretty' },
    });
    expect(result.warnings).toEqual([]);
  });

  it('reports every bad variable at once, one line each, naming it', () => {
    const errors = errorsOf({
      JWT_SECRET: SECRET,
      PORT: 'eighty',
      HISTORY_SIZE: '0',
      REDIS_URL: 'http://localhost:6379',
      LOG_LEVEL: 'loud',
      CORS_ORIGINS: 'https://ok.example,https://bad.example/path',
    });
    expect(errors).toHaveLength(5);
    expect(errors.map((line) => line.split(':')[0]).sort()).toEqual(['CORS_ORIGINS', 'HISTORY_SIZE', 'LOG_LEVEL', 'PORT', 'REDIS_URL']);
    expect(errors.find((line) => line.startsWith('PORT'))).toMatch(/integer/);
  });

  describe('Redis modes', () => {
    const redisOf = (env: Record<string, string>, files?: Record<string, string>) => {
      const result = loadConfig({ JWT_SECRET: SECRET, ...env }, io(files));
      if (!result.ok) throw new Error(result.errors.join('\n'));
      return result.config.redis;
    };

    it('one server from REDIS_URL, described without its password', () => {
      const redis = redisOf({ REDIS_URL: 'redis://app:s3cret@cache.internal:6380/2' });
      expect(redis).toEqual({
        target: { mode: 'standalone', url: 'redis://app:s3cret@cache.internal:6380/2' },
        description: 'standalone cache.internal:6380',
        replicaAckMs: 1000,
      });
      expect(JSON.stringify(redis?.description)).not.toContain('s3cret');
    });

    it('Sentinel from REDIS_SENTINELS and REDIS_SENTINEL_NAME, with credentials and TLS for both', () => {
      const redis = redisOf(
        {
          REDIS_SENTINELS: '10.0.0.1:26379, [fd00::2]:26380',
          REDIS_SENTINEL_NAME: 'switchboard',
          REDIS_SENTINEL_PASSWORD: 'sentinel-pw',
          REDIS_USERNAME: 'app',
          REDIS_PASSWORD: 'redis-pw',
          REDIS_TLS: 'true',
          REDIS_TLS_CA_FILE: '/etc/ca.pem',
        },
        { '/etc/ca.pem': 'PEM' },
      );
      expect(redis).toEqual({
        target: {
          mode: 'sentinel',
          sentinels: [
            { host: '10.0.0.1', port: 26379 },
            { host: 'fd00::2', port: 26380 },
          ],
          masterName: 'switchboard',
          sentinelPassword: 'sentinel-pw',
        },
        username: 'app',
        password: 'redis-pw',
        tls: { ca: 'PEM' },
        description: 'sentinel switchboard via 10.0.0.1:26379,[fd00::2]:26380 (TLS)',
        replicaAckMs: 1000,
      });
    });

    it('Redis Cluster from REDIS_CLUSTER_NODES (the seeds), with credentials', () => {
      expect(redisOf({ REDIS_CLUSTER_NODES: '10.0.0.1:7000,10.0.0.2:7000', REDIS_PASSWORD: 'pw' })).toEqual({
        target: {
          mode: 'cluster',
          nodes: [
            { host: '10.0.0.1', port: 7000 },
            { host: '10.0.0.2', port: 7000 },
          ],
        },
        password: 'pw',
        description: 'cluster via 10.0.0.1:7000,10.0.0.2:7000',
        replicaAckMs: 1000,
      });
    });

    it('REDIS_REPLICA_ACK_MS: how long print jobs and revocations wait for a replica; 0 does not wait', () => {
      expect(redisOf({ REDIS_URL: 'redis://a:6379', REDIS_REPLICA_ACK_MS: '0' })).toMatchObject({ replicaAckMs: 0 });
      expect(errorsOf({ JWT_SECRET: SECRET, REDIS_REPLICA_ACK_MS: '500' })).toEqual([
        'REDIS_REPLICA_ACK_MS: needs REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES',
      ]);
    });

    it('a rediss:// URL turns TLS on', () => {
      expect(redisOf({ REDIS_URL: 'rediss://cache.example:6380' })).toMatchObject({
        tls: {},
        description: 'standalone cache.example:6380 (TLS)',
      });
    });

    it('refuses two modes, a Sentinel without its master name, bad addresses, and Redis settings without Redis', () => {
      expect(errorsOf({ JWT_SECRET: SECRET, REDIS_URL: 'redis://a:6379', REDIS_SENTINELS: 'b:26379', REDIS_SENTINEL_NAME: 'm' })).toEqual([
        'REDIS_SENTINELS: set only one of REDIS_URL (one server), REDIS_SENTINELS (Sentinel) or REDIS_CLUSTER_NODES (Cluster), got REDIS_URL and REDIS_SENTINELS',
      ]);
      expect(errorsOf({ JWT_SECRET: SECRET, REDIS_SENTINELS: 'b:26379', REDIS_SENTINEL_NAME: 'm', REDIS_CLUSTER_NODES: 'c:7000' })).toEqual(
        [
          'REDIS_CLUSTER_NODES: set only one of REDIS_URL (one server), REDIS_SENTINELS (Sentinel) or REDIS_CLUSTER_NODES (Cluster), got REDIS_SENTINELS and REDIS_CLUSTER_NODES',
        ],
      );
      expect(errorsOf({ JWT_SECRET: SECRET, REDIS_CLUSTER_NODES: 'c:70000' })).toEqual(['REDIS_CLUSTER_NODES: "c:70000" is not host:port']);
      expect(errorsOf({ JWT_SECRET: SECRET, REDIS_SENTINELS: 'b:26379' })).toEqual([
        'REDIS_SENTINEL_NAME: required with REDIS_SENTINELS (the master name the sentinels monitor)',
      ]);
      expect(errorsOf({ JWT_SECRET: SECRET, REDIS_SENTINELS: 'b:26379,c', REDIS_SENTINEL_NAME: 'm' })).toEqual([
        'REDIS_SENTINELS: "c" is not host:port',
      ]);
      expect(errorsOf({ JWT_SECRET: SECRET, REDIS_PASSWORD: 'pw' })).toEqual([
        'REDIS_PASSWORD: needs REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES',
      ]);
      expect(errorsOf({ JWT_SECRET: SECRET, REDIS_URL: 'redis://a:6379', REDIS_TLS_CA_FILE: '/ca.pem' })).toEqual([
        'REDIS_TLS_CA_FILE: needs TLS (REDIS_TLS=true or a rediss:// REDIS_URL)',
      ]);
      expect(errorsOf({ JWT_SECRET: SECRET, REDIS_URL: 'rediss://a:6379', REDIS_TLS_CA_FILE: '/ca.pem' })).toEqual([
        'REDIS_TLS_CA_FILE: cannot read /ca.pem: ENOENT',
      ]);
    });
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ JWT_SECRET: SECRET, PORT: '', REDIS_URL: '  ' }, io())).toMatchObject({ ok: true, config: { port: 3000 } });
  });

  it('derives the TCP bound per IP from the socket bound unless it is set, and refuses one that leaves sockets no room', () => {
    const tcp = (env: Record<string, string>) => {
      const result = loadConfig({ JWT_SECRET: SECRET, ...env }, io());
      return result.ok ? result.config.limits.httpConnectionsPerIp : result.errors;
    };
    expect(tcp({})).toBe(256);
    expect(tcp({ CONNECTIONS_PER_IP: '0' })).toBe(0);
    expect(tcp({ CONNECTIONS_PER_IP: '500' })).toBe(1000);
    expect(tcp({ CONNECTIONS_PER_IP: '500', HTTP_CONNECTIONS_PER_IP: '600' })).toBe(600);
    expect(tcp({ CONNECTIONS_PER_IP: '500', HTTP_CONNECTIONS_PER_IP: '0' })).toBe(0);
    expect(tcp({ CONNECTIONS_PER_IP: '50', HTTP_CONNECTIONS_PER_IP: '50' })).toEqual([
      expect.stringMatching(/^HTTP_CONNECTIONS_PER_IP: must be 0 or more than/),
    ]);
    expect(tcp({ CONNECTIONS_PER_IP: '0', HTTP_CONNECTIONS_PER_IP: '100' })).toEqual([expect.stringMatching(/unlimited/)]);
  });

  it('turns the outbox on only with OUTBOX_DATABASE_URL, and refuses URLs that are not Postgres', () => {
    const outbox = (env: Record<string, string>) => {
      const result = loadConfig({ JWT_SECRET: SECRET, ...env }, io());
      return result.ok ? result.config.outbox : result.errors;
    };
    expect(outbox({})).toBeUndefined();
    expect(outbox({ OUTBOX_DATABASE_URL: 'postgres://app:pw@db:5432/orders' })).toEqual({
      url: 'postgres://app:pw@db:5432/orders',
      pollMs: 1000,
      batchSize: 100,
    });
    expect(outbox({ OUTBOX_DATABASE_URL: 'postgresql://db/orders', OUTBOX_POLL_MS: '250', OUTBOX_BATCH_SIZE: '10' })).toMatchObject({
      pollMs: 250,
      batchSize: 10,
    });
    expect(outbox({ OUTBOX_DATABASE_URL: 'mysql://db/orders', OUTBOX_BATCH_SIZE: '0' })).toEqual([
      'OUTBOX_DATABASE_URL: must be a postgres:// or postgresql:// URL',
      expect.stringMatching(/^OUTBOX_BATCH_SIZE: must be between 1 and 1000/),
    ]);
  });

  it('turns webhooks on only with WEBHOOK_URLS and a Standard Webhooks secret, and checks every webhook variable', () => {
    const webhooks = (env: Record<string, string>) => {
      const result = loadConfig({ JWT_SECRET: SECRET, ...env }, io());
      return result.ok ? result.config.webhooks : result.errors;
    };
    const secret = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;
    expect(webhooks({})).toBeUndefined();
    expect(webhooks({ WEBHOOK_URLS: 'https://ops.example.com/hook, http://127.0.0.1:9/x', WEBHOOK_SECRET: secret })).toEqual({
      urls: ['https://ops.example.com/hook', 'http://127.0.0.1:9/x'],
      secret,
      events: ['printing:agent-offline', 'printing:agent-online', 'print:job-failed', 'print:job-expired', 'channel:reset'],
      presenceCompanies: [],
      maxAttempts: 15,
      retryBaseMs: 1000,
      retryMaxMs: 3_600_000,
      timeoutMs: 10_000,
      concurrency: 8,
      pollMs: 1000,
      deadLetterMax: 1000,
    });
    expect(webhooks({ WEBHOOK_URLS: 'https://a.example', WEBHOOK_SECRET: secret, WEBHOOK_PRESENCE_COMPANIES: '*' })).toMatchObject({
      presenceCompanies: '*',
    });
    expect(webhooks({ WEBHOOK_URLS: 'https://a.example' })).toEqual(['WEBHOOK_SECRET: required with WEBHOOK_URLS']);
    expect(
      webhooks({ WEBHOOK_URLS: 'ftp://a.example', WEBHOOK_SECRET: 'whsec_c2hvcnQ=', WEBHOOK_EVENTS: 'print:job-failed,order:updated' }),
    ).toEqual([
      'WEBHOOK_URLS: "ftp://a.example" must be http:// or https://',
      'WEBHOOK_SECRET: must be whsec_ followed by 24 to 64 bytes in base64',
      'WEBHOOK_EVENTS: unknown event types: order:updated',
    ]);
    // Checked even while webhooks are off, so a typo shows before they are turned on.
    expect(webhooks({ WEBHOOK_MAX_ATTEMPTS: '0' })).toEqual([expect.stringMatching(/^WEBHOOK_MAX_ATTEMPTS: must be between 1 and 100/)]);
  });

  it('refuses a position TTL shorter than the history TTL', () => {
    expect(errorsOf({ JWT_SECRET: SECRET, HISTORY_TTL_SECONDS: '600', POSITION_TTL_SECONDS: '60' })).toEqual([
      expect.stringMatching(/^POSITION_TTL_SECONDS: must be at least HISTORY_TTL_SECONDS/),
    ]);
  });

  it('boots with the retired IDLE_TIMEOUT_SECONDS set, and says it is no longer read', () => {
    const result = loadConfig({ JWT_SECRET: SECRET, IDLE_TIMEOUT_SECONDS: '300' }, io());
    expect(result.ok).toBe(true);
    expect(result.ok && result.warnings).toEqual([
      expect.stringMatching(/^IDLE_TIMEOUT_SECONDS is no longer read: a quiet connection is never closed/),
    ]);
    expect(JSON.stringify(result.ok && result.config)).not.toMatch(/idleTimeout/);
  });

  describe('JWT keys', () => {
    it('falls back to the development secret with a loud warning outside production', () => {
      const result = loadConfig({}, io());
      expect(result).toMatchObject({
        ok: true,
        config: { jwt: { keys: [{ key: DEVELOPMENT_JWT_SECRET, algorithms: ['HS256'] }], keySource: 'development-default' } },
      });
      expect(result.ok && result.warnings[0]).toMatch(/DEVELOPMENT secret/);
    });

    it('refuses to start in production without a key, and defaults logs to JSON and CORS to nobody', () => {
      expect(errorsOf({ NODE_ENV: 'production' })).toEqual([expect.stringMatching(/^JWT_SECRET: required when NODE_ENV=production/)]);
      expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET }, io())).toMatchObject({
        ok: true,
        config: { log: { format: 'json' }, cors: { kind: 'list', origins: [] } },
      });
    });

    it('refuses short secrets, both key kinds at once, and asymmetric algorithms for a secret', () => {
      expect(errorsOf({ JWT_SECRET: 'short' })).toEqual([expect.stringMatching(/^JWT_SECRET: must be at least 32/)]);
      expect(errorsOf({ JWT_SECRET: SECRET, JWT_PUBLIC_KEY_FILE: '/k.pem' })[0]).toMatch(/^JWT_PUBLIC_KEY_FILE: set only one/);
      expect(errorsOf({ JWT_SECRET: SECRET, JWT_ALGORITHMS: 'RS256' })[0]).toMatch(/^JWT_ALGORITHMS: RS256 need JWT_PUBLIC_KEY_FILE/);
      expect(errorsOf({ JWT_SECRET: SECRET, JWT_ALGORITHMS: 'HS256,none' })[0]).toMatch(/^JWT_ALGORITHMS: "none" is not one of/);
    });

    it('defaults the algorithm to exactly the one that matches the public key', () => {
      const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const ec384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const files = { '/rsa.pem': rsa, '/ec.pem': ec, '/ec384.pem': ec384 };
      expect(loadConfig({ JWT_PUBLIC_KEY_FILE: '/rsa.pem' }, io(files))).toMatchObject({
        ok: true,
        config: { jwt: { algorithms: ['RS256'], keys: [{ key: rsa, algorithms: ['RS256'] }] } },
      });
      expect(loadConfig({ JWT_PUBLIC_KEY_FILE: '/ec.pem' }, io(files))).toMatchObject({
        ok: true,
        config: { jwt: { algorithms: ['ES256'] } },
      });
      expect(loadConfig({ JWT_PUBLIC_KEY_FILE: '/ec384.pem' }, io(files))).toMatchObject({
        ok: true,
        config: { jwt: { algorithms: ['ES384'] } },
      });
      expect(loadConfig({ JWT_PUBLIC_KEY_FILE: '/rsa.pem', JWT_ALGORITHMS: 'RS256,PS256' }, io(files))).toMatchObject({
        ok: true,
        config: { jwt: { algorithms: ['RS256', 'PS256'] } },
      });
      expect(errorsOf({ JWT_PUBLIC_KEY_FILE: '/ec.pem', JWT_ALGORITHMS: 'ES384' }, files)[0]).toMatch(
        /^JWT_ALGORITHMS: ES384 cannot be verified/,
      );
      expect(errorsOf({ JWT_PUBLIC_KEY_FILE: '/rsa.pem', JWT_ALGORITHMS: 'HS256' }, files)[0]).toMatch(
        /^JWT_ALGORITHMS: HS256 cannot be verified/,
      );
    });

    it('names unreadable, private and non-key files', () => {
      const privatePem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const files = { '/private.pem': privatePem, '/junk.pem': 'hello' };
      expect(errorsOf({ JWT_PUBLIC_KEY_FILE: '/nope.pem' }, files)[0]).toBe('JWT_PUBLIC_KEY_FILE: cannot read /nope.pem: ENOENT');
      expect(errorsOf({ JWT_PUBLIC_KEY_FILE: '/private.pem' }, files)[0]).toMatch(/holds a private key/);
      expect(errorsOf({ JWT_PUBLIC_KEY_FILE: '/junk.pem' }, files)[0]).toMatch(/is not a PEM public key/);
    });

    it('reads a JWKS for key rotation: one key per kid, each with its own algorithm', () => {
      const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
      const jwks = JSON.stringify({
        keys: [
          { ...rsa, kid: 'old' },
          { ...ec, kid: 'new', alg: 'ES256' },
        ],
      });
      const result = loadConfig({ JWT_PUBLIC_KEY_FILE: '/jwks.json' }, io({ '/jwks.json': jwks }));
      expect(result).toMatchObject({
        ok: true,
        config: {
          jwt: {
            algorithms: ['RS256', 'ES256'],
            keys: [
              { kid: 'old', algorithms: ['RS256'], key: expect.stringContaining('BEGIN PUBLIC KEY') },
              { kid: 'new', algorithms: ['ES256'] },
            ],
          },
        },
      });
      const files = {
        '/nokid.json': JSON.stringify({ keys: [rsa] }),
        '/twice.json': JSON.stringify({
          keys: [
            { ...rsa, kid: 'a' },
            { ...ec, kid: 'a' },
          ],
        }),
        '/private.json': JSON.stringify({
          keys: [{ ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid: 'p' }],
        }),
        '/empty.json': '{"keys":[]}',
      };
      expect(errorsOf({ JWT_PUBLIC_KEY_FILE: '/nokid.json' }, files)[0]).toMatch(/has no "kid"/);
      expect(errorsOf({ JWT_PUBLIC_KEY_FILE: '/twice.json' }, files)[0]).toMatch(/appears twice/);
      expect(errorsOf({ JWT_PUBLIC_KEY_FILE: '/private.json' }, files)[0]).toMatch(/private key/);
      expect(errorsOf({ JWT_PUBLIC_KEY_FILE: '/empty.json' }, files)[0]).toMatch(/no "keys"/);
    });

    it('passes issuer, audience list and clock tolerance through', () => {
      expect(
        loadConfig({ JWT_SECRET: SECRET, JWT_ISSUER: 'https://id', JWT_AUDIENCE: 'a, b', JWT_CLOCK_TOLERANCE_SECONDS: '5' }, io()),
      ).toMatchObject({ ok: true, config: { jwt: { issuer: 'https://id', audience: ['a', 'b'], clockToleranceSeconds: 5 } } });
    });
  });

  it('parses CORS_ORIGINS as an exact allowlist', () => {
    expect(loadConfig({ JWT_SECRET: SECRET, CORS_ORIGINS: 'https://a.example, http://localhost:5173' }, io())).toMatchObject({
      ok: true,
      config: { cors: { kind: 'list', origins: ['https://a.example', 'http://localhost:5173'] } },
    });
  });
});
