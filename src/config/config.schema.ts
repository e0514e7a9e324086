import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './webhook-event-types';
import { JWT_ALGORITHMS, type HostPort, type JwtAlgorithm, type LogLevel, type NodeEnv } from './config.types';

/** One environment variable: its name, default and documentation live together (the README table is checked against this). */
export interface EnvVarSpec<T> {
  readonly name: string;
  /** The default as a user would write it; undefined means "unset". */
  readonly default?: string;
  readonly doc: string;
  parse(raw: string): T;
}

/** Thrown by a parser; the loader prefixes the variable name. */
export class InvalidValue extends Error {}

function int(name: string, def: number, min: number, max: number, doc: string): EnvVarSpec<number> {
  return {
    name,
    default: String(def),
    doc,
    parse(raw) {
      if (!/^-?\d+$/.test(raw)) throw new InvalidValue(`must be an integer, got "${raw}"`);
      const value = Number(raw);
      if (value < min || value > max) throw new InvalidValue(`must be between ${min} and ${max}, got ${value}`);
      return value;
    },
  };
}

function oneOf<T extends string>(name: string, values: readonly T[], def: T | undefined, doc: string): EnvVarSpec<T> {
  return {
    name,
    default: def,
    doc,
    parse(raw) {
      if (!(values as readonly string[]).includes(raw)) {
        throw new InvalidValue(`must be one of ${values.join(', ')}, got "${raw}"`);
      }
      return raw as T;
    },
  };
}

function text(name: string, def: string | undefined, doc: string, check?: (raw: string) => void): EnvVarSpec<string> {
  return {
    name,
    default: def,
    doc,
    parse(raw) {
      check?.(raw);
      return raw;
    },
  };
}

/** `host:port`, the port 1–65535; IPv6 hosts in brackets (`[::1]:26379`). */
function hostPort(raw: string): HostPort {
  const match = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(raw);
  const port = match ? Number(match[2]) : 0;
  if (!match || port < 1 || port > 65535) throw new InvalidValue(`"${raw}" is not host:port`);
  return { host: match[1].replace(/^\[(.*)\]$/, '$1'), port };
}

/** A comma-separated list of `host:port`, at least one, no default. */
function hostPorts(name: string, doc: string): EnvVarSpec<HostPort[]> {
  return {
    name,
    default: undefined,
    doc,
    parse(raw) {
      const list = csv(raw);
      if (list.length === 0) throw new InvalidValue('must list at least one host:port');
      return list.map(hostPort);
    },
  };
}

function csv(raw: string): string[] {
  return raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

export const ENV = {
  nodeEnv: oneOf<NodeEnv>(
    'NODE_ENV',
    ['development', 'test', 'production'],
    'development',
    'Runtime mode. `production` refuses to start without a JWT key and defaults logs to JSON.',
  ),
  port: int('PORT', 3000, 0, 65535, 'Port for HTTP and Socket.IO.'),
  host: text('HOST', '0.0.0.0', 'Interface to listen on.'),
  nodeId: text('NODE_ID', undefined, 'Name of this process in `session.node`, logs and health. Default: `<hostname>-<pid>`.', (raw) => {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(raw)) throw new InvalidValue('must match [A-Za-z0-9_.-]{1,64}');
  }),
  redisUrl: text(
    'REDIS_URL',
    undefined,
    'Unset (and no REDIS_SENTINELS or REDIS_CLUSTER_NODES): the embedded in-memory engine, one process. Set (`redis://` or `rediss://`): the Redis engine on one Redis server, which scales out.',
    (raw) => {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw new InvalidValue('is not a URL');
      }
      if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
        throw new InvalidValue(`must start with redis:// or rediss://, got ${url.protocol}//`);
      }
    },
  ),
  redisSentinels: hostPorts(
    'REDIS_SENTINELS',
    'Sentinel mode (instead of REDIS_URL): the sentinels, `host:port,host:port,…`. Reads and writes go to the master they name, and follow its failover.',
  ),
  redisClusterNodes: hostPorts(
    'REDIS_CLUSTER_NODES',
    'Redis Cluster mode (instead of REDIS_URL): seed nodes, `host:port,host:port,…`; the rest of the cluster is discovered from them. Needs Redis 7 (sharded pub/sub).',
  ),
  redisSentinelName: text(
    'REDIS_SENTINEL_NAME',
    undefined,
    'The master name the sentinels monitor (`sentinel monitor <name> …`). Required with REDIS_SENTINELS.',
    (raw) => {
      if (!/^[A-Za-z0-9_.-]{1,128}$/.test(raw)) throw new InvalidValue('must match [A-Za-z0-9_.-]{1,128}');
    },
  ),
  redisSentinelPassword: text(
    'REDIS_SENTINEL_PASSWORD',
    undefined,
    'Password of the sentinels themselves (`requirepass` in sentinel.conf), when they have one.',
  ),
  redisUsername: text('REDIS_USERNAME', undefined, 'ACL user for Redis (all modes). A user in REDIS_URL is used when this is unset.'),
  redisPassword: text(
    'REDIS_PASSWORD',
    undefined,
    'Password for Redis (all modes). A password in REDIS_URL is used when this is unset; it is never logged.',
  ),
  redisTls: oneOf<'true' | 'false'>(
    'REDIS_TLS',
    ['true', 'false'],
    'false',
    'TLS to Redis (all modes; to the sentinels too in Sentinel mode). A `rediss://` REDIS_URL turns it on as well.',
  ),
  redisTlsCaFile: text(
    'REDIS_TLS_CA_FILE',
    undefined,
    "PEM file of the CA that signed the Redis servers' certificates, when it is not a public one. Needs TLS.",
  ),
  redisReplicaAck: int(
    'REDIS_REPLICA_ACK_MS',
    1000,
    0,
    30_000,
    'Print jobs and token revocations are answered only once a Redis replica holds them (WAIT), when the master has replicas: a failover that promotes a replica cannot lose them. Longest wait, after which the request is refused (503) and retried by the caller; 0 does not wait.',
  ),
  jwtSecret: text('JWT_SECRET', undefined, 'HMAC secret (HS256), at least 32 characters.', (raw) => {
    if (raw.length < 32) throw new InvalidValue(`must be at least 32 characters, got ${raw.length}`);
  }),
  jwtPublicKeyFile: text(
    'JWT_PUBLIC_KEY_FILE',
    undefined,
    'Path to a PEM public key (RSA gives RS256, EC P-256 gives ES256). Exclusive with JWT_SECRET.',
  ),
  jwtAlgorithms: {
    name: 'JWT_ALGORITHMS',
    default: undefined,
    doc: 'Comma-separated accepted algorithms. Default: exactly the one that matches the key.',
    parse(raw: string): JwtAlgorithm[] {
      const list = csv(raw);
      if (list.length === 0) throw new InvalidValue('must name at least one algorithm');
      for (const alg of list) {
        if (!(JWT_ALGORITHMS as readonly string[]).includes(alg)) {
          throw new InvalidValue(`"${alg}" is not one of ${JWT_ALGORITHMS.join(', ')}`);
        }
      }
      return list as JwtAlgorithm[];
    },
  } satisfies EnvVarSpec<JwtAlgorithm[]>,
  jwtIssuer: text('JWT_ISSUER', undefined, 'When set, tokens must carry exactly this `iss`.'),
  jwtAudience: {
    name: 'JWT_AUDIENCE',
    default: undefined,
    doc: 'When set (comma-separated), a token `aud` must contain one of these.',
    parse(raw: string): string[] {
      const list = csv(raw);
      if (list.length === 0) throw new InvalidValue('must name at least one audience');
      return list;
    },
  } satisfies EnvVarSpec<string[]>,
  jwtClockTolerance: int(
    'JWT_CLOCK_TOLERANCE_SECONDS',
    0,
    0,
    300,
    'Leeway for `exp`/`nbf` against clock skew between the token issuer and this server.',
  ),
  tokenGrace: int(
    'TOKEN_GRACE_SECONDS',
    30,
    0,
    3600,
    'After a token expires, a socket that did not send auth:refresh has this long before it is disconnected (AUTH_EXPIRED).',
  ),
  authCacheTokens: int(
    'AUTH_CACHE_TOKENS',
    10_000,
    0,
    1_000_000,
    'Verified tokens remembered per process (LRU, each until its `exp`), so a token used again is not re-verified (0: verify every use).',
  ),
  revocationTtl: int(
    'REVOCATION_TTL_SECONDS',
    7 * 86400,
    60,
    365 * 86400,
    'How long a revocation is remembered; set it to at least your longest token lifetime.',
  ),
  corsOrigins: {
    name: 'CORS_ORIGINS',
    default: undefined,
    doc: 'Comma-separated browser origins allowed to connect. Default: any localhost origin outside production, none in production.',
    parse(raw: string): string[] {
      const list = csv(raw);
      for (const origin of list) {
        let url: URL;
        try {
          url = new URL(origin);
        } catch {
          throw new InvalidValue(`"${origin}" is not an origin like https://app.example.com`);
        }
        if (url.origin !== origin) {
          throw new InvalidValue(`"${origin}" is not an origin (scheme://host[:port], no path); did you mean ${url.origin}?`);
        }
      }
      return list;
    },
  } satisfies EnvVarSpec<string[]>,
  historySize: int('HISTORY_SIZE', 1000, 1, 100_000, 'Events kept per channel for replay.'),
  historyTtl: int('HISTORY_TTL_SECONDS', 86400, 1, 30 * 86400, "A channel's history is dropped this long after its last publish."),
  positionTtl: int(
    'POSITION_TTL_SECONDS',
    7 * 86400,
    1,
    365 * 86400,
    "A channel's position (epoch and seq) is kept this long after its last publish; must be ≥ HISTORY_TTL_SECONDS. Past it, old positions get EPOCH_CHANGED instead of HISTORY_EXPIRED.",
  ),
  coalesceMs: int(
    'DELIVERY_COALESCE_MS',
    5,
    0,
    1000,
    'Under load (event loop busier than DELIVERY_COALESCE_LOAD), a channel that has just sent a frame holds the events that follow for up to this long and sends them as one `batch` frame; 0 turns coalescing off.',
  ),
  coalesceLoad: int(
    'DELIVERY_COALESCE_LOAD',
    60,
    0,
    100,
    'Event-loop utilisation (percent, over the last 100 ms) from which live deliveries are coalesced; 0 coalesces always.',
  ),
  maxSubscriptions: int('MAX_SUBSCRIPTIONS_PER_SOCKET', 100, 1, 10_000, 'Channels one socket may follow at once.'),
  maxMessageBytes: int(
    'WS_MAX_MESSAGE_BYTES',
    16384,
    256,
    1_048_576,
    'Largest client-to-server message (JSON bytes); larger ones get PAYLOAD_TOO_LARGE and the socket stays.',
  ),
  maxFrameBytes: int(
    'WS_MAX_FRAME_BYTES',
    65536,
    1024,
    16_777_216,
    'Largest Engine.IO frame (Socket.IO maxHttpBufferSize); a larger frame closes that socket.',
  ),
  printMaxFrameBytes: int(
    'PRINT_WS_MAX_FRAME_BYTES',
    1_048_576,
    1024,
    16_777_216,
    'Largest Engine.IO frame on /printing-ws (agents send larger payloads); a larger frame closes that connection.',
  ),
  rateSocket: int(
    'RATE_LIMIT_PER_SOCKET',
    100,
    1,
    100_000,
    'Client messages per second per socket; past it (and the burst), acks are RATE_LIMITED.',
  ),
  rateBurst: int('RATE_LIMIT_BURST', 50, 0, 100_000, 'Extra messages a socket may send in a burst, per 10 s.'),
  rateUser: int(
    'RATE_LIMIT_PER_USER',
    300,
    1,
    1_000_000,
    'Client messages per second per user across all of its sockets and nodes (shared through Redis when it is configured).',
  ),
  rateDisconnect: int(
    'RATE_LIMIT_DISCONNECT_SECONDS',
    5,
    1,
    3600,
    'A socket rate-limited continuously for this long is disconnected (RATE_LIMITED).',
  ),
  maxConnections: int(
    'MAX_CONNECTIONS',
    10_000,
    0,
    10_000_000,
    'Client connections on one process (Engine.IO sessions, SSE streams and plain WebSockets; 0: unlimited). At the cap, /health/ready answers 503 so balancers send new clients elsewhere, and new connections get TOO_MANY_CONNECTIONS.',
  ),
  connectionsPerIp: int(
    'CONNECTIONS_PER_IP',
    50,
    0,
    1_000_000,
    'Socket.IO connections per client IP on one process (0: unlimited); past it, TOO_MANY_CONNECTIONS.',
  ),
  unauthenticatedPerIp: int(
    'UNAUTHENTICATED_SESSIONS_PER_IP',
    20,
    0,
    1_000_000,
    'Engine.IO sessions per client IP that have not joined a namespace yet, on one process (0: unlimited); past it, new sessions get HTTP 403 TOO_MANY_CONNECTIONS. Unset and CONNECTIONS_PER_IP is 0: unlimited.',
  ),
  connectionsPerCompany: int(
    'CONNECTIONS_PER_COMPANY',
    0,
    0,
    10_000_000,
    'Socket.IO connections per company on one process (0: unlimited); past it, TOO_MANY_CONNECTIONS.',
  ),
  trustProxy: oneOf<'true' | 'false'>(
    'TRUST_PROXY',
    ['true', 'false'],
    'false',
    'Take the client IP from X-Forwarded-For (only behind your own load balancer).',
  ),
  slowConsumerBytes: int(
    'SLOW_CONSUMER_BYTES',
    1_048_576,
    16_384,
    1_073_741_824,
    'A connection with more outbound data buffered than this is disconnected (SLOW_CONSUMER).',
  ),
  streamHeartbeat: int(
    'STREAM_HEARTBEAT_SECONDS',
    15,
    1,
    300,
    'SSE streams get a comment line, and plain WebSockets a ping, this often: proxies keep the connection. A plain WebSocket that answers none of three pings in a row is closed (IDLE_TIMEOUT).',
  ),
  connectTimeout: int('WS_CONNECT_TIMEOUT_MS', 10_000, 100, 120_000, 'An Engine.IO session must join a namespace within this long.'),
  headersTimeout: int(
    'HTTP_HEADERS_TIMEOUT_MS',
    10_000,
    100,
    120_000,
    'An HTTP request must send all its headers within this long (slowloris).',
  ),
  memoryChannelsPerCompany: int(
    'MEMORY_CHANNELS_PER_COMPANY',
    10_000,
    0,
    10_000_000,
    'Embedded engine only: channels with events (a stored position) per company (0: unlimited); a publish that would create one more gets LIMIT_EXCEEDED. Channels nobody published to are not stored.',
  ),
  requestTimeout: int(
    'HTTP_REQUEST_TIMEOUT_MS',
    30_000,
    1000,
    600_000,
    'An HTTP request must send its whole body within this long after its headers; a slower one gets 408 and its connection is closed.',
  ),
  httpConnectionsPerIp: int(
    'HTTP_CONNECTIONS_PER_IP',
    256,
    0,
    1_000_000,
    'Concurrent TCP connections (HTTP and WebSocket) per peer address on one process (0: unlimited); more are closed on accept. Unset: 256, at least twice CONNECTIONS_PER_IP, unlimited when that is 0; set, it must exceed CONNECTIONS_PER_IP. Not applied with TRUST_PROXY (every connection comes from the proxy).',
  ),
  publishMaxDataBytes: int('PUBLISH_MAX_DATA_BYTES', 65536, 16, 1_048_576, 'Largest `data` of one published event (JSON bytes).'),
  httpMaxBodyBytes: int('HTTP_MAX_BODY_BYTES', 4_194_304, 1024, 67_108_864, 'Largest HTTP request body.'),
  idempotencyTtl: int('IDEMPOTENCY_TTL_SECONDS', 300, 1, 86400, 'How long an idempotencyKey is remembered per channel.'),
  outboxUrl: text(
    'OUTBOX_DATABASE_URL',
    undefined,
    'Postgres URL (postgres://user:password@host:port/db) of the transactional outbox to drain (docs/outbox.md). Unset: no outbox. Create its tables with `npm run outbox:migrate`.',
    (raw) => {
      if (!/^postgres(ql)?:\/\/\S+$/.test(raw)) throw new InvalidValue('must be a postgres:// or postgresql:// URL');
    },
  ),
  outboxPoll: int(
    'OUTBOX_POLL_MS',
    1000,
    50,
    60_000,
    'The outbox drainer wakes on LISTEN/NOTIFY; it also polls this often, and a node without the drain lock tries to take it this often.',
  ),
  outboxBatch: int('OUTBOX_BATCH_SIZE', 100, 1, 1000, 'Outbox rows read, published and deleted per round.'),
  webhookUrls: {
    name: 'WEBHOOK_URLS',
    default: undefined,
    doc: 'Where operator webhooks are POSTed (docs/webhooks.md), `https://…,https://…`. Each URL gets every event once, signed with WEBHOOK_SECRET. Unset: no webhooks.',
    parse(raw: string): string[] {
      const list = csv(raw);
      if (list.length === 0) throw new InvalidValue('must list at least one URL');
      for (const item of list) {
        let url: URL;
        try {
          url = new URL(item);
        } catch {
          throw new InvalidValue(`"${item}" is not a URL`);
        }
        if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InvalidValue(`"${item}" must be http:// or https://`);
      }
      return list;
    },
  } satisfies EnvVarSpec<string[]>,
  webhookSecret: text(
    'WEBHOOK_SECRET',
    undefined,
    'Signing key of the webhooks, Standard Webhooks format: `whsec_` and 24 to 64 random bytes in base64 (`npm run -s webhook:secret` makes one). Required with WEBHOOK_URLS; never logged.',
    (raw) => {
      const match = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(raw);
      const bytes = match ? Buffer.from(match[1], 'base64').length : 0;
      if (bytes < 24 || bytes > 64) throw new InvalidValue('must be whsec_ followed by 24 to 64 bytes in base64');
    },
  ),
  webhookEvents: {
    name: 'WEBHOOK_EVENTS',
    default: WEBHOOK_EVENT_TYPES.filter((type) => !type.startsWith('presence:')).join(','),
    doc: `Webhook event types to send, comma-separated, from: ${WEBHOOK_EVENT_TYPES.map((type) => `\`${type}\``).join(', ')}. Presence events also need WEBHOOK_PRESENCE_COMPANIES.`,
    parse(raw: string): WebhookEventType[] {
      const list = csv(raw);
      const unknown = list.filter((item) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(item));
      if (unknown.length > 0) throw new InvalidValue(`unknown event types: ${unknown.join(', ')}`);
      return list as WebhookEventType[];
    },
  } satisfies EnvVarSpec<WebhookEventType[]>,
  webhookPresenceCompanies: {
    name: 'WEBHOOK_PRESENCE_COMPANIES',
    default: undefined,
    doc: 'Companies whose presence:joined / presence:left are sent as webhooks, comma-separated, or `*` for all. Unset: none.',
    parse(raw: string): string[] | '*' {
      if (raw === '*') return '*';
      const list = csv(raw);
      if (list.length === 0) throw new InvalidValue('must list company ids, or be *');
      return list;
    },
  } satisfies EnvVarSpec<string[] | '*'>,
  webhookMaxAttempts: int(
    'WEBHOOK_MAX_ATTEMPTS',
    15,
    1,
    100,
    'Sends of one webhook before it goes to the dead-letter list (GET /v1/webhooks/dead-letters). A non-2xx answer, a network error or a timeout is a failed send.',
  ),
  webhookRetryBase: int(
    'WEBHOOK_RETRY_BASE_MS',
    1000,
    10,
    600_000,
    'Delay before the second send of a webhook; it doubles per attempt, with jitter.',
  ),
  webhookRetryMax: int(
    'WEBHOOK_RETRY_MAX_SECONDS',
    3600,
    1,
    86400,
    'Longest delay between two sends of a webhook. With the defaults, a delivery is tried for about 3 hours.',
  ),
  webhookTimeout: int('WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000, 'A receiver must answer within this long, or the send counts as failed.'),
  webhookConcurrency: int('WEBHOOK_CONCURRENCY', 8, 1, 256, 'Webhook requests in flight at once, per process.'),
  webhookPoll: int(
    'WEBHOOK_POLL_MS',
    1000,
    20,
    60_000,
    'How often each process looks for webhooks due (retries, and sends whose process died mid-send). New events are sent at once.',
  ),
  webhookDeadLetters: int(
    'WEBHOOK_DEAD_LETTER_MAX',
    1000,
    1,
    100_000,
    'Dead-lettered webhooks kept (newest first) for inspection and replay.',
  ),
  outageMaxEvents: int(
    'OUTAGE_QUEUE_MAX_EVENTS',
    10_000,
    0,
    1_000_000,
    'Publishes held in memory while Redis is unreachable, flushed in order when it returns; past this, 503 UNAVAILABLE.',
  ),
  outageMaxBytes: int('OUTAGE_QUEUE_MAX_BYTES', 16 * 1024 * 1024, 0, 1024 * 1024 * 1024, 'Byte bound of the outage queue (JSON size).'),
  outageSpoolDir: text(
    'OUTAGE_SPOOL_DIR',
    undefined,
    'Where queued publishes are also written, so a worker that crashes during an outage does not lose them. Default: <tmpdir>/switchboard-spool/<hash of REDIS_URL, of the sentinels and master name, or of the cluster seeds>.',
  ),
  drainDeadline: int(
    'DRAIN_DEADLINE_SECONDS',
    25,
    1,
    600,
    'On SIGTERM/SIGINT the process drains (readiness down, clients told to reconnect elsewhere in batches, print jobs requeued, queue flushed) and exits within this long.',
  ),
  workers: int(
    'WORKERS',
    0,
    0,
    256,
    'Worker processes of the sticky cluster (dist/primary.js). 0: one per CPU core. More than one needs Redis (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES).',
  ),
  metricsPort: int(
    'METRICS_PORT',
    9464,
    0,
    65535,
    "Sticky cluster only (dist/primary.js): the primary serves every worker's metrics, aggregated, at /metrics on this port (0: off). A single process serves /metrics on PORT.",
  ),
  metricsHost: text('METRICS_HOST', '127.0.0.1', 'Interface for METRICS_PORT. Metrics are for Prometheus, not the public.'),
  transports: {
    name: 'WS_TRANSPORTS',
    default: 'websocket,polling',
    doc: 'Socket.IO transports the server accepts. `websocket` alone needs no sticky sessions (stock PM2 cluster mode).',
    parse(raw: string): ('websocket' | 'polling')[] {
      const list = csv(raw);
      if (list.length === 0 || list.some((item) => item !== 'websocket' && item !== 'polling')) {
        throw new InvalidValue('must be websocket, polling, or both, comma-separated');
      }
      return list as ('websocket' | 'polling')[];
    },
  } satisfies EnvVarSpec<('websocket' | 'polling')[]>,
  nodeTtl: int(
    'CLUSTER_NODE_TTL_SECONDS',
    15,
    2,
    300,
    'A process that has not sent a heartbeat for this long is dead: its presence and print-job leases are cleaned up by the others.',
  ),
  presenceGrace: int(
    'PRESENCE_LEAVE_GRACE_SECONDS',
    10,
    0,
    600,
    "How long after a user's last connection closes before presence:left, so a page reload does not flap.",
  ),
  presenceTtl: int('PRESENCE_TTL_SECONDS', 1800, 1, 86400, 'A presence member with no update or heartbeat for this long is removed.'),
  printAckTimeout: int(
    'PRINT_ACK_TIMEOUT_MS',
    10000,
    50,
    120_000,
    'How long an agent has to acknowledge a print:job before it is retried.',
  ),
  printRetryBase: int('PRINT_RETRY_BASE_MS', 1000, 10, 60_000, 'First retry delay after an unacknowledged print:job; doubles per attempt.'),
  printRetryMax: int('PRINT_RETRY_MAX_SECONDS', 60, 1, 3600, 'Longest delay between print:job attempts.'),
  printRetention: int(
    'PRINT_JOB_RETENTION_SECONDS',
    7 * 86400,
    60,
    90 * 86400,
    'How long a job is kept (for GET and jobId deduplication) after its ttl.',
  ),
  printDocumentRetention: int(
    'PRINT_DOCUMENT_RETENTION_SECONDS',
    3600,
    0,
    7 * 86400,
    'How long a print document is kept after its job leaves the queue, so an admin can resend the job; 0 drops it at once.',
  ),
  printOfflineAlert: int(
    'PRINT_AGENT_OFFLINE_ALERT_SECONDS',
    300,
    1,
    86400,
    'A branch that had a printing agent and has none for this long raises printing:agent-offline.',
  ),
  printMaxDocument: int('PRINT_MAX_DOCUMENT_BYTES', 1_048_576, 1024, 16_777_216, 'Largest print document, decoded.'),
  logLevel: oneOf<LogLevel>(
    'LOG_LEVEL',
    ['error', 'warn', 'log', 'debug', 'verbose'],
    'log',
    'Most verbose level printed: error < warn < log < debug < verbose.',
  ),
  logFormat: oneOf<'json' | 'pretty'>(
    'LOG_FORMAT',
    ['json', 'pretty'],
    undefined,
    'Log output. Default: `json` in production, `pretty` elsewhere.',
  ),
} as const;

export type EnvSchema = typeof ENV;
