import { Module } from '@nestjs/common';
import { RealtimeModule } from '../realtime/realtime.module';
import { OrdersGateway } from './orders.gateway';
import { NamespaceRegistry } from '../realtime/namespace.registry';
import { ORDERS_NAMESPACE } from './orders.definition';

@Module({ imports: [RealtimeModule], providers: [OrdersGateway] })
export class OrdersModule {
  /** The namespace is known (publish API, handshake, limits) before any gateway starts. */
  constructor(namespaces: NamespaceRegistry) {
    namespaces.register(ORDERS_NAMESPACE);
  }
}
