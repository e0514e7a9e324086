import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { RedisConnections } from '../redis/redis-connections.service';

/** PING on the bus's command connection (the one publishes use), with a timeout. */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly redis: RedisConnections,
  ) {}

  check(key = 'redis') {
    return this.indicators
      .check(key)
      .attempt(async () => {
        if (!this.redis.enabled) return { configured: false };
        const started = performance.now();
        await this.redis.get('bus-command').ping();
        return { configured: true, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
      })
      .withTimeout(2000);
  }
}
