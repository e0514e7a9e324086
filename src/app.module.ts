import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';
import { AdminModule } from './admin/admin.module';
import { AuthModule } from './auth/auth.module';
import { AvailabilityModule } from './availability/availability.module';
import { BusModule } from './bus/bus.module';
import { ConfigModule, type AppConfig } from './config';
import { HealthModule } from './health/health.module';
import { LifecycleModule } from './lifecycle/lifecycle.module';
import { DeliveryModule } from './realtime/delivery.module';
import { MetricsModule } from './metrics/metrics.module';
import { loggingModule } from './logging/logging.module';
import { OrdersModule } from './orders/orders.module';
import { PublishModule } from './publish/publish.module';
import { RealtimeModule } from './realtime/realtime.module';
import { RedisModule } from './redis/redis.module';
import { SyncModule } from './sync/sync.module';
import { PresenceModule } from './presence/presence.module';
import { PrintingModule } from './printing/printing.module';
import { ClusterModule } from './cluster/cluster.module';
import { OutboxModule } from './outbox/outbox.module';
import { StreamsModule } from './streams/streams.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { OpenApiModule } from './openapi/openapi.module';

@Module({})
export class AppModule {
  /** The config is validated before Nest starts and passed in, so tests build apps without touching the environment. */
  static forRoot(config: AppConfig, extraImports: DynamicModule['imports'] = [], options: { logger: Logger }): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ...extraImports,
        ConfigModule.forRoot(config),
        loggingModule(options.logger),
        MetricsModule,
        OpenApiModule,
        RedisModule,
        ClusterModule,
        BusModule,
        AuthModule,
        DeliveryModule,
        RealtimeModule,
        PublishModule,
        OutboxModule,
        WebhooksModule,
        HealthModule,
        OrdersModule,
        AvailabilityModule,
        SyncModule,
        PresenceModule,
        PrintingModule,
        StreamsModule,
        AdminModule,
        LifecycleModule,
      ],
    };
  }
}
