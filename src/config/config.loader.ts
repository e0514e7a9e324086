import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENV, InvalidValue, type EnvVarSpec } from './config.schema';
import type { AppConfig, CorsPolicy, JwtConfig, NodeEnv, RedisConfig, RedisTarget, WebhooksConfig } from './config.types';
import { parsePublicKeys } from './jwt-keys';

/**
 * The fixed secret used outside production when no key is configured, so that `npm start`
 * and `npm run token` work on a fresh clone. Anyone can forge tokens with it: never use it for real.
 */
export const DEVELOPMENT_JWT_SECRET = 'switchboard-development-secret-do-not-use-in-production';

export type Env = Readonly<Record<string, string | undefined>>;

export type ConfigResult =
  | { readonly ok: true; readonly config: AppConfig; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly errors: readonly string[] };

/** Injection points so tests can load config without touching the machine. */
export interface ConfigIo {
  readFile(path: string): string;
  hostname(): string;
  pid: number;
}

const realIo: ConfigIo = {
  readFile: (path) => readFileSync(path, 'utf8'),
  hostname,
  pid: process.pid,
};

/** Reads the real environment. The only place in the code base that touches process.env. */
export function loadConfigFromEnvironment(): ConfigResult {
  return loadConfig(process.env);
}

/**
 * Validates every variable, collecting all problems instead of stopping at the first,
 * so an operator fixes a broken deployment in one round. Each error line starts with the variable name.
 */
export function loadConfig(env: Env, io: ConfigIo = realIo): ConfigResult {
  const errors: string[] = [];
  const warnings: string[] = [];

  function read<T>(spec: EnvVarSpec<T>): T | undefined {
    const raw = env[spec.name]?.trim();
    const source = raw === undefined || raw === '' ? spec.default : raw;
    if (source === undefined) return undefined;
    try {
      return spec.parse(source);
    } catch (error) {
      errors.push(`${spec.name}: ${error instanceof InvalidValue ? error.message : String(error)}`);
      return undefined;
    }
  }
  // For variables with a default, `read` only returns undefined after recording an error,
  // and then the half-built config below is discarded, so the cast never escapes.
  const need = <T>(spec: EnvVarSpec<T>): T => read(spec) as T;

  // Every webhook variable is read even without URLs, so that a bad value is reported before webhooks are turned on.
  function readWebhooks(): WebhooksConfig | undefined {
    const urls = read(ENV.webhookUrls);
    const secret = read(ENV.webhookSecret);
    const rest = {
      events: need(ENV.webhookEvents),
      presenceCompanies: read(ENV.webhookPresenceCompanies) ?? [],
      maxAttempts: need(ENV.webhookMaxAttempts),
      retryBaseMs: need(ENV.webhookRetryBase),
      retryMaxMs: need(ENV.webhookRetryMax) * 1000,
      timeoutMs: need(ENV.webhookTimeout),
      concurrency: need(ENV.webhookConcurrency),
      pollMs: need(ENV.webhookPoll),
      deadLetterMax: need(ENV.webhookDeadLetters),
    };
    if (urls === undefined) return undefined;
    if (secret === undefined) {
      if (!env[ENV.webhookSecret.name]?.trim()) errors.push(`${ENV.webhookSecret.name}: required with WEBHOOK_URLS`);
      return undefined;
    }
    return { urls, secret, ...rest };
  }
  // Read even without a URL, so that a bad value is reported before the outbox is turned on.
  const outboxUrl = read(ENV.outboxUrl);
  const outboxPollMs = need(ENV.outboxPoll);
  const outboxBatchSize = need(ENV.outboxBatch);
  const webhooks = readWebhooks();

  const nodeEnv = need(ENV.nodeEnv);
  const historyTtl = need(ENV.historyTtl);
  const positionTtl = need(ENV.positionTtl);
  if (historyTtl !== undefined && positionTtl !== undefined && positionTtl < historyTtl) {
    errors.push(`${ENV.positionTtl.name}: must be at least HISTORY_TTL_SECONDS (${historyTtl}), got ${positionTtl}`);
  }

  // Every socket needs a TCP connection: the TCP bound follows the socket bound unless it is set.
  const socketsPerIp = need(ENV.connectionsPerIp);
  let tcpPerIp = need(ENV.httpConnectionsPerIp);
  if (!env[ENV.httpConnectionsPerIp.name]?.trim() && socketsPerIp !== undefined) {
    tcpPerIp = socketsPerIp === 0 ? 0 : Math.max(tcpPerIp, 2 * socketsPerIp);
  } else if (tcpPerIp !== undefined && socketsPerIp !== undefined && tcpPerIp > 0 && (socketsPerIp === 0 || tcpPerIp <= socketsPerIp)) {
    errors.push(
      `${ENV.httpConnectionsPerIp.name}: must be 0 or more than CONNECTIONS_PER_IP (${socketsPerIp === 0 ? 'unlimited' : socketsPerIp}), got ${tcpPerIp}: each socket needs a connection`,
    );
  }

  if (env.IDLE_TIMEOUT_SECONDS?.trim()) {
    // Retired, not refused: an old .env must still boot, and say why the setting does nothing.
    warnings.push(
      'IDLE_TIMEOUT_SECONDS is no longer read: a quiet connection is never closed for not sending messages; a dead one is closed by the heartbeat (Socket.IO after 45 s, a plain WebSocket after three unanswered pings). See docs/protocol.md, "Timeouts".',
    );
  }

  const jwt = resolveJwt(env, nodeEnv, io, read, errors, warnings);
  const corsList = read(ENV.corsOrigins);
  const cors: CorsPolicy =
    corsList !== undefined
      ? { kind: 'list', origins: corsList }
      : nodeEnv === 'production'
        ? { kind: 'list', origins: [] }
        : { kind: 'localhost' };

  const config: AppConfig = {
    nodeEnv,
    port: need(ENV.port),
    host: need(ENV.host),
    nodeId: read(ENV.nodeId) ?? defaultNodeId(io),
    redis: resolveRedis(env, io, read, errors),
    jwt: jwt as JwtConfig,
    cors,
    history: {
      size: need(ENV.historySize),
      ttlSeconds: historyTtl,
      positionTtlSeconds: positionTtl,
    },
    delivery: {
      coalesceMs: need(ENV.coalesceMs),
      coalesceLoad: need(ENV.coalesceLoad) / 100,
    },
    limits: {
      maxSubscriptionsPerSocket: need(ENV.maxSubscriptions),
      maxMessageBytes: need(ENV.maxMessageBytes),
      maxFrameBytes: need(ENV.maxFrameBytes),
      publishMaxDataBytes: need(ENV.publishMaxDataBytes),
      memoryChannelsPerCompany: need(ENV.memoryChannelsPerCompany),
      httpMaxBodyBytes: need(ENV.httpMaxBodyBytes),
      printMaxFrameBytes: need(ENV.printMaxFrameBytes),
      ratePerSocket: need(ENV.rateSocket),
      rateBurst: need(ENV.rateBurst),
      ratePerUser: need(ENV.rateUser),
      rateDisconnectSeconds: need(ENV.rateDisconnect),
      maxConnections: need(ENV.maxConnections),
      connectionsPerIp: socketsPerIp,
      connectionsPerCompany: need(ENV.connectionsPerCompany),
      trustProxy: need(ENV.trustProxy) === 'true',
      slowConsumerBytes: need(ENV.slowConsumerBytes),
      streamHeartbeatSeconds: need(ENV.streamHeartbeat),
      connectTimeoutMs: need(ENV.connectTimeout),
      headersTimeoutMs: need(ENV.headersTimeout),
      requestTimeoutMs: need(ENV.requestTimeout),
      httpConnectionsPerIp: tcpPerIp,
      unauthenticatedPerIp: !env[ENV.unauthenticatedPerIp.name]?.trim() && socketsPerIp === 0 ? 0 : need(ENV.unauthenticatedPerIp),
    },
    idempotencyTtlSeconds: need(ENV.idempotencyTtl),
    outage: {
      maxEvents: need(ENV.outageMaxEvents),
      maxBytes: need(ENV.outageMaxBytes),
      // Per Redis: deployments sharing a host must never adopt each other's queued events.
      spoolDir:
        read(ENV.outageSpoolDir) ??
        join(
          tmpdir(),
          'switchboard-spool',
          createHash('sha256')
            .update(
              env.REDIS_URL?.trim() ||
                (env.REDIS_SENTINELS?.trim() ? `sentinel:${env.REDIS_SENTINEL_NAME?.trim() ?? ''}@${env.REDIS_SENTINELS.trim()}` : '') ||
                (env.REDIS_CLUSTER_NODES?.trim() ? `cluster:${env.REDIS_CLUSTER_NODES.trim()}` : ''),
            )
            .digest('hex')
            .slice(0, 12),
        ),
    },
    cluster: { nodeTtlSeconds: need(ENV.nodeTtl) },
    ...(outboxUrl === undefined ? {} : { outbox: { url: outboxUrl, pollMs: outboxPollMs, batchSize: outboxBatchSize } }),
    ...(webhooks === undefined ? {} : { webhooks }),
    process: {
      drainDeadlineSeconds: need(ENV.drainDeadline),
      workers: need(ENV.workers),
      transports: need(ENV.transports),
      metricsPort: need(ENV.metricsPort),
      metricsHost: need(ENV.metricsHost),
    },
    presence: { leaveGraceSeconds: need(ENV.presenceGrace), ttlSeconds: need(ENV.presenceTtl) },
    printing: {
      ackTimeoutMs: need(ENV.printAckTimeout),
      retryBaseMs: need(ENV.printRetryBase),
      retryMaxSeconds: need(ENV.printRetryMax),
      retentionSeconds: need(ENV.printRetention),
      documentRetentionSeconds: need(ENV.printDocumentRetention),
      offlineAlertSeconds: need(ENV.printOfflineAlert),
      maxDocumentBytes: need(ENV.printMaxDocument),
    },
    log: {
      level: need(ENV.logLevel),
      format: read(ENV.logFormat) ?? (nodeEnv === 'production' ? 'json' : 'pretty'),
    },
  };

  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, config, warnings };
}

function defaultNodeId(io: ConfigIo): string {
  const host =
    io
      .hostname()
      .replace(/[^A-Za-z0-9_.-]/g, '-')
      .slice(0, 40) || 'node';
  return `${host}-${io.pid}`;
}

/** One Redis mode at most, its credentials and TLS; a password never reaches `description`. */
function resolveRedis(env: Env, io: ConfigIo, read: <T>(spec: EnvVarSpec<T>) => T | undefined, errors: string[]): RedisConfig | undefined {
  const url = read(ENV.redisUrl);
  const sentinels = read(ENV.redisSentinels);
  const clusterNodes = read(ENV.redisClusterNodes);
  const masterName = read(ENV.redisSentinelName);
  const sentinelPassword = read(ENV.redisSentinelPassword);
  const username = read(ENV.redisUsername);
  const password = read(ENV.redisPassword);
  const tlsOn = read(ENV.redisTls) === 'true';
  const caFile = read(ENV.redisTlsCaFile);
  const given = (name: string) => (env[name]?.trim() ?? '') !== '';

  const modes = [ENV.redisUrl, ENV.redisSentinels, ENV.redisClusterNodes].filter((spec) => given(spec.name));
  if (modes.length > 1) {
    errors.push(
      `${modes[1].name}: set only one of REDIS_URL (one server), REDIS_SENTINELS (Sentinel) or REDIS_CLUSTER_NODES (Cluster), got ${modes.map((spec) => spec.name).join(' and ')}`,
    );
    return undefined;
  }
  const addresses = (list: readonly { host: string; port: number }[]) =>
    list.map(({ host, port }) => `${host.includes(':') ? `[${host}]` : host}:${port}`).join(',');
  let target: RedisTarget;
  let description: string;
  if (url !== undefined) {
    target = { mode: 'standalone', url };
    const parsed = new URL(url);
    description = `standalone ${parsed.host}`;
  } else if (sentinels !== undefined) {
    if (masterName === undefined) {
      if (!given(ENV.redisSentinelName.name))
        errors.push(`${ENV.redisSentinelName.name}: required with REDIS_SENTINELS (the master name the sentinels monitor)`);
      return undefined;
    }
    target = { mode: 'sentinel', sentinels, masterName, ...(sentinelPassword !== undefined ? { sentinelPassword } : {}) };
    description = `sentinel ${masterName} via ${addresses(sentinels)}`;
  } else if (clusterNodes !== undefined) {
    target = { mode: 'cluster', nodes: clusterNodes };
    description = `cluster via ${addresses(clusterNodes)}`;
  } else if (modes.length > 0) {
    return undefined; // already reported as invalid
  } else {
    for (const spec of [
      ENV.redisSentinelName,
      ENV.redisSentinelPassword,
      ENV.redisUsername,
      ENV.redisPassword,
      ENV.redisTlsCaFile,
      ENV.redisReplicaAck,
    ]) {
      if (given(spec.name)) errors.push(`${spec.name}: needs REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES`);
    }
    return undefined;
  }

  const tls = tlsOn || (target.mode === 'standalone' && target.url.startsWith('rediss:'));
  let ca: string | undefined;
  if (caFile !== undefined) {
    if (!tls) {
      errors.push(`${ENV.redisTlsCaFile.name}: needs TLS (REDIS_TLS=true or a rediss:// REDIS_URL)`);
      return undefined;
    }
    try {
      ca = io.readFile(caFile);
    } catch (error) {
      errors.push(`${ENV.redisTlsCaFile.name}: cannot read ${caFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      return undefined;
    }
  }
  return {
    target,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(tls ? { tls: ca !== undefined ? { ca } : {} } : {}),
    description: tls ? `${description} (TLS)` : description,
    replicaAckMs: read(ENV.redisReplicaAck) ?? 1000,
  };
}

function resolveJwt(
  env: Env,
  nodeEnv: NodeEnv | undefined,
  io: ConfigIo,
  read: <T>(spec: EnvVarSpec<T>) => T | undefined,
  errors: string[],
  warnings: string[],
): JwtConfig | undefined {
  const secret = read(ENV.jwtSecret);
  const keyFile = read(ENV.jwtPublicKeyFile);
  const explicitAlgorithms = read(ENV.jwtAlgorithms);
  const shared = {
    issuer: read(ENV.jwtIssuer),
    audience: read(ENV.jwtAudience),
    clockToleranceSeconds: read(ENV.jwtClockTolerance) ?? 0,
    revocationTtlSeconds: read(ENV.revocationTtl) ?? 7 * 86400,
    graceSeconds: read(ENV.tokenGrace) ?? 30,
    cacheTokens: read(ENV.authCacheTokens) ?? 10_000,
  };
  const secretGiven = (env[ENV.jwtSecret.name]?.trim() ?? '') !== '';

  if (secretGiven && keyFile !== undefined) {
    errors.push(`${ENV.jwtPublicKeyFile.name}: set only one of JWT_SECRET or JWT_PUBLIC_KEY_FILE`);
    return undefined;
  }

  if (keyFile !== undefined) {
    let text: string;
    try {
      text = io.readFile(keyFile);
    } catch (error) {
      errors.push(`${ENV.jwtPublicKeyFile.name}: cannot read ${keyFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      return undefined;
    }
    const parsed = parsePublicKeys(text, keyFile, explicitAlgorithms);
    if (typeof parsed === 'string') {
      errors.push(parsed);
      return undefined;
    }
    return { ...parsed, keySource: 'public-key-file', ...shared };
  }

  if (!secretGiven && nodeEnv === 'production') {
    errors.push(`${ENV.jwtSecret.name}: required when NODE_ENV=production (or set JWT_PUBLIC_KEY_FILE)`);
    return undefined;
  }
  if (secretGiven && secret === undefined) return undefined; // already reported as invalid

  const algorithms = explicitAlgorithms ?? ['HS256'];
  const wrong = algorithms.filter((alg) => !alg.startsWith('HS'));
  if (wrong.length > 0) {
    errors.push(`${ENV.jwtAlgorithms.name}: ${wrong.join(', ')} need JWT_PUBLIC_KEY_FILE; JWT_SECRET only verifies HS256/HS384/HS512`);
    return undefined;
  }
  if (secret === undefined) {
    warnings.push(
      'NO JWT KEY CONFIGURED: using the built-in DEVELOPMENT secret. Anyone can forge tokens for this server. ' +
        'Set JWT_SECRET or JWT_PUBLIC_KEY_FILE before exposing it (NODE_ENV=production refuses to start without one).',
    );
    return { keys: [{ key: DEVELOPMENT_JWT_SECRET, algorithms }], algorithms, keySource: 'development-default', ...shared };
  }
  return { keys: [{ key: secret, algorithms }], algorithms, keySource: 'secret', ...shared };
}
