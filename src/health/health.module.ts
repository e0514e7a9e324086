import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { RealtimeModule } from '../realtime/realtime.module';
import { BusHealthIndicator } from './bus.health';
import { ClusterProbe } from './cluster-probe.service';
import { HealthController } from './health.controller';
import { HealthSections } from './health-sections';
import { RedisHealthIndicator } from './redis.health';
import { WebsocketHealthIndicator } from './websocket.health';

/** Global for HealthSections: feature modules add to /health/websocket without health/ importing them. */
@Global()
@Module({
  imports: [TerminusModule.forRoot({ logger: false }), RealtimeModule],
  controllers: [HealthController],
  providers: [RedisHealthIndicator, BusHealthIndicator, WebsocketHealthIndicator, ClusterProbe, HealthSections],
  exports: [HealthSections],
})
export class HealthModule {}
