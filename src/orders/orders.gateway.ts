import { WebSocketGateway } from '@nestjs/websockets';
import { ChannelGateway } from '../realtime/channel.gateway';
import { NamespaceGate } from '../realtime/namespace-gate';
import { SessionLifecycle } from '../realtime/session-lifecycle';
import { SubscriptionService } from '../realtime/subscription.service';
import { ORDERS_NAMESPACE } from './orders.definition';

/** /orders: dashboards follow orders and deliveries per company, branch or user. */
@WebSocketGateway({ namespace: `/${ORDERS_NAMESPACE.name}` })
export class OrdersGateway extends ChannelGateway {
  constructor(gate: NamespaceGate, sessions: SessionLifecycle, subscriptions: SubscriptionService) {
    super(gate, sessions, subscriptions, ORDERS_NAMESPACE);
  }
}
