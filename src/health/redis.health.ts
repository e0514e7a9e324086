import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Cluster } from 'ioredis';
import { EventBus } from '../bus/event-bus.service';
import { RedisConnections } from '../redis/redis-connections.service';

/**
 * PING on the bus's command connection (the one publishes use), with a timeout, the mode (and
 * in Sentinel mode the master in use), and whether
 * Redis takes writes: a Redis that answers PING but refuses writes (OOM at maxmemory, a replica,
 * MISCONF) cannot take a publish, and is reported down with the reason, not as healthy.
 */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly redis: RedisConnections,
    private readonly bus: EventBus,
  ) {}

  async check(key = 'redis') {
    const result = await this.indicators
      .check(key)
      .attempt(async () => {
        if (!this.redis.enabled) return { configured: false };
        const started = performance.now();
        const client = this.redis.get('bus-command');
        if (client instanceof Cluster) {
          // Each master owns a share of the channels: up while one answers (publishing to its
          // channels works), with how many do, so a lost shard shows before clients report it.
          const masters = client.nodes('master');
          const answers = await Promise.allSettled(masters.map((node) => node.ping()));
          const reachable = answers.filter((answer) => answer.status === 'fulfilled').length;
          if (reachable === 0) throw new Error(`no Redis Cluster master answers (of ${masters.length} known)`);
          const latencyMs = Math.round((performance.now() - started) * 10) / 10;
          return { configured: true, mode: 'cluster', shards: { reachable, known: masters.length }, latencyMs };
        }
        await client.ping();
        const latencyMs = Math.round((performance.now() - started) * 10) / 10;
        // In Sentinel mode, the master this node writes to now (it moves on a failover).
        const { remoteAddress, remotePort } = client.stream ?? {};
        const master = this.redis.mode === 'sentinel' && remoteAddress !== undefined ? { master: `${remoteAddress}:${remotePort}` } : {};
        return { configured: true, mode: this.redis.mode, ...master, latencyMs };
      })
      .withTimeout(2000);
    const refusal = this.bus.storageRefusal;
    if (!refusal || result[key].status === 'down') return result;
    const { status: _up, ...data } = result[key];
    return this.indicators.check(key).down({
      ...data,
      writable: false,
      refusal: refusal.reason,
      since: new Date(refusal.since).toISOString(),
      message: `Redis answers but refuses writes (${refusal.reason}): ${refusal.message}`,
    });
  }
}
