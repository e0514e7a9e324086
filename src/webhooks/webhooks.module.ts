import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { RealtimeModule } from '../realtime/realtime.module';
import { RedisConnections } from '../redis/redis-connections.service';
import { MemoryWebhookQueue } from './memory-webhook.queue';
import { RedisWebhookQueue } from './redis-webhook.queue';
import { ResetWebhooks } from './reset-webhooks';
import { WEBHOOK_QUEUE, type WebhookQueue } from './webhook-queue';
import { WebhookEmitter } from './webhook-emitter.service';
import { WebhookSender } from './webhook-sender.service';
import { WebhooksController } from './webhooks.controller';

/** Operator webhooks (docs/webhooks.md); idle unless WEBHOOK_URLS is set. */
@Module({
  imports: [AuthModule, RealtimeModule],
  controllers: [WebhooksController],
  providers: [
    {
      provide: WEBHOOK_QUEUE,
      useFactory: (redis: RedisConnections): WebhookQueue =>
        redis.enabled ? new RedisWebhookQueue(redis.get('state')) : new MemoryWebhookQueue(),
      inject: [RedisConnections],
    },
    WebhookSender,
    WebhookEmitter,
    ResetWebhooks,
  ],
  exports: [WebhookEmitter],
})
export class WebhooksModule {}
