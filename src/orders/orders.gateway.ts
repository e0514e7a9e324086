import { WebSocketGateway } from '@nestjs/websockets';
import { ChannelGateway } from '../realtime/channel.gateway';
import { GatewayKit } from '../realtime/gateway-kit.service';
import { ORDERS_NAMESPACE } from './orders.definition';

/** /orders: dashboards follow orders and deliveries per company, branch or user. */
@WebSocketGateway({ namespace: `/${ORDERS_NAMESPACE.name}` })
export class OrdersGateway extends ChannelGateway {
  constructor(kit: GatewayKit) {
    super(kit, ORDERS_NAMESPACE);
  }
}
