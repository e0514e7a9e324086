import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config';
import { connectionOptions } from './redis-options';
import { FailoverHold } from './failover-hold';
import { SentinelWatch } from './sentinel-watch';
import type { RedisClient } from './redis-client';

/** Roles of the connections this process opens; each role gets its own socket. */
export type RedisRole = 'bus-command' | 'bus-subscriber' | 'state' | 'adapter-pub' | 'adapter-sub';

const ROLE_OPTIONS: Record<RedisRole, RedisOptions> = {
  // Publishes must fail fast while Redis is away (the caller answers 503 with Retry-After)
  // instead of queueing without bound in ioredis' offline queue.
  'bus-command': { enableOfflineQueue: false, commandTimeout: 2000, maxRetriesPerRequest: 1 },
  // Subscribe commands issued during an outage are few (one per watched channel, so the queue is
  // bounded by the channels this node follows) and must reach Redis once it is back, so this one
  // keeps its offline queue; the timeout makes a caller fail instead of waiting forever.
  'bus-subscriber': { enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: 5000 },
  // Presence, print jobs and node heartbeats: small state operations that must also fail fast.
  state: { enableOfflineQueue: false, commandTimeout: 2000, maxRetriesPerRequest: 1 },
  'adapter-pub': { enableOfflineQueue: false, commandTimeout: 2000, maxRetriesPerRequest: 1 },
  // The Socket.IO adapter subscribes once at start, before the connection is up, and does not
  // handle a rejected subscribe: it keeps its (tiny) offline queue and no command timeout.
  'adapter-sub': { enableOfflineQueue: true, maxRetriesPerRequest: null },
};

/**
 * Owns every Redis client in the process: creates them with an `error` listener (an
 * unhandled one would crash the process), reconnects quickly with jitter, and closes them
 * all on shutdown. Other modules ask for a client by role and never construct their own.
 */
@Injectable()
export class RedisConnections implements OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  private readonly clients = new Map<RedisRole, RedisClient>();
  private readonly lastErrorLog = new Map<RedisRole, number>();
  private watch: SentinelWatch | undefined;
  private stateHold: FailoverHold | undefined;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get enabled(): boolean {
    return this.config.redis !== undefined;
  }

  get mode(): 'standalone' | 'sentinel' | 'cluster' | undefined {
    return this.config.redis?.target.mode;
  }

  /** Sentinel mode: the sentinels' failover announcements (started on first use). */
  failovers(): SentinelWatch | undefined {
    if (this.config.redis?.target.mode !== 'sentinel') return undefined;
    if (!this.watch) {
      this.watch = new SentinelWatch(this.config.redis);
      this.watch.start();
      this.stateHold = new FailoverHold(this.watch, this.get('state'), {}, 'state writes (print jobs, revocations)');
    }
    return this.watch;
  }

  /**
   * Sentinel mode: true while a failover is under way. State that must not be lost (print jobs)
   * is refused meanwhile (503, retry), rather than written to a master about to be demoted.
   */
  get stateWritesHeld(): boolean {
    this.failovers();
    return this.stateHold?.holding ?? false;
  }

  /** REDIS_REPLICA_ACK_MS: how long state that must not be lost waits for a replica (untilReplicated). */
  get replicaAckMs(): number {
    return this.config.redis?.replicaAckMs ?? 0;
  }

  /** The client for a role, created on first use. */
  get(role: RedisRole): RedisClient {
    const existing = this.clients.get(role);
    if (existing) return existing;
    const { redis } = this.config;
    if (redis === undefined) throw new Error('Redis is not configured');
    const options: RedisOptions = {
      ...connectionOptions(redis),
      connectionName: `switchboard:${this.config.nodeId}:${role}`,
      connectTimeout: 5000,
      // Reconnect within ~0.1–1 s so an outage heals fast; jitter spreads a fleet's reconnects.
      retryStrategy: (attempt) => Math.min(100 * attempt, 1000) + Math.floor(Math.random() * 100),
      ...ROLE_OPTIONS[role],
    };
    const client = this.create(role, options);
    client.on('error', (error: Error) => this.logError(role, error));
    client.on('ready', () => {
      if (this.lastErrorLog.has(role)) this.logger.log(`${role}: connection restored`);
      this.lastErrorLog.delete(role);
    });
    this.clients.set(role, client);
    return client;
  }

  private create(role: RedisRole, options: RedisOptions): RedisClient {
    const { target } = this.config.redis as NonNullable<AppConfig['redis']>;
    if (target.mode === 'standalone') return new Redis(target.url, options);
    if (target.mode === 'sentinel') return new Redis(options);
    const { enableOfflineQueue, retryStrategy: _perNode, ...perNode } = options;
    return new Cluster(
      target.nodes.map(({ host, port }) => ({ host, port })),
      {
        redisOptions: perNode,
        enableOfflineQueue,
        // Writes and reads go to masters: a replica's history may lag what a publish answered.
        scaleReads: 'master',
        // Subscribers follow each slot's owner (SSUBSCRIBE goes to the node that owns the slot).
        shardedSubscribers: role === 'bus-subscriber' || role === 'adapter-sub',
        clusterRetryStrategy: (attempt) => Math.min(100 * attempt, 1000) + Math.floor(Math.random() * 100),
        // A failover or a migration answers MOVED / TRYAGAIN / CLUSTERDOWN for a moment: retry soon.
        retryDelayOnFailover: 100,
        retryDelayOnTryAgain: 100,
        retryDelayOnClusterDown: 100,
        slotsRefreshTimeout: 2000,
      },
    );
  }

  async onApplicationShutdown(): Promise<void> {
    this.stateHold?.close();
    this.watch?.close();
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(
      clients.map(async (client) => {
        try {
          await Promise.race([client.quit(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
        } catch {
          // quit fails when the connection is already down; disconnect below covers it.
        }
        client.disconnect();
      }),
    );
  }

  /** One line per role per 10 s: an outage should be visible in logs, not flood them. */
  private logError(role: RedisRole, error: Error): void {
    const now = Date.now();
    const last = this.lastErrorLog.get(role);
    if (last !== undefined && now - last < 10_000) return;
    this.lastErrorLog.set(role, now);
    this.logger.warn(`${role}: ${error.message}`);
  }
}
