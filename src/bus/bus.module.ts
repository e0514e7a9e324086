import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config';
import { RedisConnections } from '../redis/redis-connections.service';
import type { BusEngine } from './bus-engine';
import { BUS_ENGINE, EventBus } from './event-bus.service';
import { MemoryEngine } from './memory.engine';
import { OutageQueueDrain } from './outage-queue-drain';
import { RedisEngine } from './redis.engine';

/** Picks the engine once, from config: Redis when it is configured, the embedded one otherwise. */
function createEngine(config: AppConfig, redis: RedisConnections): BusEngine {
  const shared = { history: config.history, idempotencyTtlSeconds: config.idempotencyTtlSeconds };
  if (!redis.enabled) return new MemoryEngine({ ...shared, channelsPerCompany: config.limits.memoryChannelsPerCompany });
  return new RedisEngine({
    ...shared,
    command: redis.get('bus-command'),
    subscriber: redis.get('bus-subscriber'),
    failovers: redis.failovers(),
  });
}

@Global()
@Module({
  providers: [{ provide: BUS_ENGINE, useFactory: createEngine, inject: [APP_CONFIG, RedisConnections] }, EventBus, OutageQueueDrain],
  exports: [EventBus],
})
export class BusModule {}
