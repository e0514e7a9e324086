import type { WebhookEventType } from './webhook-event-types';
export type NodeEnv = 'development' | 'test' | 'production';

export const JWT_ALGORITHMS = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** Where the verification key came from; `development-default` is the fixed dev secret. */
export type JwtKeySource = 'secret' | 'public-key-file' | 'development-default';

/** One verification key: an HMAC secret or a PEM public key, with the algorithms it may verify. */
export interface JwtKey {
  /** Set for keys from a JWKS; a token must then name it in its `kid` header. */
  readonly kid?: string;
  readonly key: string;
  readonly algorithms: readonly JwtAlgorithm[];
}

export interface JwtConfig {
  readonly keys: readonly JwtKey[];
  readonly keySource: JwtKeySource;
  /** Every algorithm accepted by some key. */
  readonly algorithms: readonly JwtAlgorithm[];
  readonly issuer?: string;
  readonly audience?: readonly string[];
  readonly clockToleranceSeconds: number;
  readonly revocationTtlSeconds: number;
  readonly graceSeconds: number;
  /** Verified tokens kept per process (0: none). */
  readonly cacheTokens: number;
}

/** `localhost` admits any http(s) origin on localhost/127.0.0.1/[::1]; `list` admits exactly the listed origins. */
export type CorsPolicy = { readonly kind: 'localhost' } | { readonly kind: 'list'; readonly origins: readonly string[] };

export interface HistoryConfig {
  /** Events kept per channel for replay. */
  readonly size: number;
  /** History is dropped this long after a channel's last publish. */
  readonly ttlSeconds: number;
  /** The channel's position (epoch, seq) is dropped this long after its last publish. */
  readonly positionTtlSeconds: number;
}

export interface LimitsConfig {
  readonly maxSubscriptionsPerSocket: number;
  /** Largest client-to-server Socket.IO message, measured as JSON. */
  readonly maxMessageBytes: number;
  /** Engine.IO frame limit (Socket.IO maxHttpBufferSize); larger frames close the connection. */
  readonly maxFrameBytes: number;
  /** Largest `data` of one published event, measured as JSON. */
  readonly publishMaxDataBytes: number;
  /** Embedded engine: stored channels per company; 0 = unlimited. */
  readonly memoryChannelsPerCompany: number;
  readonly httpMaxBodyBytes: number;
  /** Engine.IO frame limit on /printing-ws. */
  readonly printMaxFrameBytes: number;
  readonly ratePerSocket: number;
  readonly rateBurst: number;
  readonly ratePerUser: number;
  readonly rateDisconnectSeconds: number;
  /** 0 = unlimited. */
  /** Client connections per process (Engine.IO sessions + plain-transport streams); 0: unlimited. */
  readonly maxConnections: number;
  readonly connectionsPerIp: number;
  /** 0 = unlimited. */
  readonly connectionsPerCompany: number;
  readonly trustProxy: boolean;
  readonly slowConsumerBytes: number;
  /** SSE heartbeat comments and plain-WebSocket pings, this often. */
  readonly streamHeartbeatSeconds: number;
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  /** Whole body within this long after the headers. */
  readonly requestTimeoutMs: number;
  /** Engine.IO sessions per IP without a namespace yet; 0 = unlimited. */
  readonly unauthenticatedPerIp: number;
  /** TCP connections per peer address; 0 = unlimited. */
  readonly httpConnectionsPerIp: number;
}

export interface OutageConfig {
  readonly maxEvents: number;
  readonly maxBytes: number;
  readonly spoolDir: string;
}

export interface ClusterConfig {
  /** Heartbeat age after which a process counts as dead. */
  readonly nodeTtlSeconds: number;
}

export interface PresenceConfig {
  readonly leaveGraceSeconds: number;
  readonly ttlSeconds: number;
}

export interface PrintingConfig {
  readonly ackTimeoutMs: number;
  readonly retryBaseMs: number;
  readonly retryMaxSeconds: number;
  readonly retentionSeconds: number;
  /** After a job leaves the queue, its document stays this long for a resend (0: dropped at once). */
  readonly documentRetentionSeconds: number;
  readonly offlineAlertSeconds: number;
  readonly maxDocumentBytes: number;
}

export interface ProcessConfig {
  readonly drainDeadlineSeconds: number;
  /** Sticky-cluster workers; 0 means one per CPU core. */
  readonly workers: number;
  readonly transports: readonly ('websocket' | 'polling')[];
  /** Sticky-cluster primary: aggregated /metrics here (0: off). */
  readonly metricsPort: number;
  readonly metricsHost: string;
}

export interface AppConfig {
  readonly nodeEnv: NodeEnv;
  readonly port: number;
  readonly host: string;
  readonly nodeId: string;
  /** Unset: the embedded in-memory engine. */
  readonly redis?: RedisConfig;
  readonly jwt: JwtConfig;
  readonly cors: CorsPolicy;
  readonly history: HistoryConfig;
  readonly delivery: DeliveryConfig;
  readonly limits: LimitsConfig;
  readonly idempotencyTtlSeconds: number;
  readonly outage: OutageConfig;
  /** Absent without OUTBOX_DATABASE_URL. */
  readonly outbox?: OutboxConfig;
  /** Absent without WEBHOOK_URLS. */
  readonly webhooks?: WebhooksConfig;
  readonly process: ProcessConfig;
  readonly cluster: ClusterConfig;
  readonly presence: PresenceConfig;
  readonly printing: PrintingConfig;
  readonly log: { readonly level: LogLevel; readonly format: 'json' | 'pretty' };
}

export type LogLevel = 'error' | 'warn' | 'log' | 'debug' | 'verbose';

/** Whether debug lines are kept: hot paths build their debug-only fields only then. */
export function keepsDebugLines(log: AppConfig['log']): boolean {
  return log.level === 'debug' || log.level === 'verbose';
}

/** Adaptive micro-batching of live deliveries (see DeliveryCoalescer). */
export interface DeliveryConfig {
  /** Longest an event waits for company in one frame; 0 = never coalesce. */
  readonly coalesceMs: number;
  /** Event-loop utilisation (0–1) from which coalescing starts; 0 = always. */
  readonly coalesceLoad: number;
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Where Redis is: one server, a master found and followed through Sentinel, or a Redis Cluster. */
export type RedisTarget =
  | { readonly mode: 'standalone'; readonly url: string }
  | {
      readonly mode: 'sentinel';
      readonly sentinels: readonly HostPort[];
      readonly masterName: string;
      readonly sentinelPassword?: string;
    }
  | { readonly mode: 'cluster'; readonly nodes: readonly HostPort[] };

export interface RedisConfig {
  readonly target: RedisTarget;
  /** Override what REDIS_URL carries, and apply in Sentinel mode. */
  readonly username?: string;
  readonly password?: string;
  /** Set when TLS is on: `ca` is the PEM of REDIS_TLS_CA_FILE, if given. */
  readonly tls?: { readonly ca?: string };
  /** For logs and health: mode and addresses, never a password. */
  readonly description: string;
  /** Longest wait for a replica to hold a print job or a revocation (WAIT); 0 does not wait. */
  readonly replicaAckMs: number;
}

export interface WebhooksConfig {
  readonly urls: readonly string[];
  /** `whsec_…`: never logged. */
  readonly secret: string;
  readonly events: readonly WebhookEventType[];
  /** Companies whose presence events are sent; '*' for all, [] for none. */
  readonly presenceCompanies: readonly string[] | '*';
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly timeoutMs: number;
  readonly concurrency: number;
  readonly pollMs: number;
  readonly deadLetterMax: number;
}

export interface OutboxConfig {
  /** Holds a password, perhaps: never logged. */
  readonly url: string;
  readonly pollMs: number;
  readonly batchSize: number;
}
