import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { DeliveryService } from './delivery.service';
import { GatewayKit } from './gateway-kit.service';
import { NamespaceRegistry } from './namespace.registry';
import { SubscriptionService } from './subscription.service';

@Module({
  imports: [AuthModule],
  providers: [NamespaceRegistry, DeliveryService, SubscriptionService, GatewayKit],
  exports: [NamespaceRegistry, DeliveryService, GatewayKit],
})
export class RealtimeModule {}
