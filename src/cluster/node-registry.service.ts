import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config';
import { RedisConnections } from '../redis/redis-connections.service';

const NODES_KEY = 'sb:nodes';

/**
 * Which processes are alive. Each process has an `instanceId` (its NODE_ID plus a random suffix,
 * so a restarted process with the same name is a different instance) and, on Redis, refreshes a
 * heartbeat every third of CLUSTER_NODE_TTL_SECONDS. State that belongs to a process (presence
 * connections, print-job leases, connected agents) is tagged with its instanceId and cleaned up
 * by the others once its heartbeat is older than the TTL. On the embedded engine there is one
 * process, and it is alive.
 */
@Injectable()
export class NodeRegistry implements OnModuleInit, OnApplicationShutdown {
  readonly instanceId: string;
  private readonly logger = new Logger('NodeRegistry');
  private timer: NodeJS.Timeout | undefined;
  private readonly ttlMs: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly redis: RedisConnections,
  ) {
    this.instanceId = `${config.nodeId}~${randomBytes(3).toString('hex')}`;
    this.ttlMs = config.cluster.nodeTtlSeconds * 1000;
  }

  get clustered(): boolean {
    return this.redis.enabled;
  }

  /** Registers this instance before the app serves, so no peer ever sees its connections as a dead node's. */
  async onModuleInit(): Promise<void> {
    if (!this.clustered) return;
    const client = this.redis.get('state');
    if (client.status !== 'ready') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5000);
        client.once('ready', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    await this.beat();
    this.timer = setInterval(() => void this.beat(), Math.max(500, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    if (!this.clustered) return;
    // A clean exit says so at once, so others clean up without waiting for the TTL.
    await this.redis
      .get('state')
      .zrem(NODES_KEY, this.instanceId)
      .catch(() => undefined);
  }

  /** Instances whose heartbeat is fresh (always includes this one). */
  async aliveInstances(now = Date.now()): Promise<Set<string>> {
    if (!this.clustered) return new Set([this.instanceId]);
    const alive = await this.redis.get('state').zrangebyscore(NODES_KEY, now - this.ttlMs, '+inf');
    return new Set([...alive, this.instanceId]);
  }

  private async beat(): Promise<void> {
    const now = Date.now();
    try {
      await this.redis
        .get('state')
        .multi()
        .zadd(NODES_KEY, now, this.instanceId)
        .zremrangebyscore(NODES_KEY, '-inf', now - 10 * this.ttlMs)
        .exec();
    } catch (error) {
      this.logger.debug(`heartbeat failed: ${(error as Error).message}`);
    }
  }
}
