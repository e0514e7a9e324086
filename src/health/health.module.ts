import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { PrintingModule } from '../printing/printing.module';
import { RealtimeModule } from '../realtime/realtime.module';
import { BusHealthIndicator } from './bus.health';
import { ClusterProbe } from './cluster-probe.service';
import { HealthController } from './health.controller';
import { RedisHealthIndicator } from './redis.health';
import { WebsocketHealthIndicator } from './websocket.health';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), RealtimeModule, PrintingModule],
  controllers: [HealthController],
  providers: [RedisHealthIndicator, BusHealthIndicator, WebsocketHealthIndicator, ClusterProbe],
})
export class HealthModule {}
