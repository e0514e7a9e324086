import type { NamespaceDefinition } from '../realtime/namespace.registry';
import { OrderRefDto } from './dto/order-ref.dto';
import { OrderStatusDto } from './dto/order-status.dto';
import { OrdersEvent } from './orders.events';

/** /orders: order and delivery events for dashboards, per company and branch. */
export const ORDERS_NAMESPACE: NamespaceDefinition = {
  name: 'orders',
  plainTransports: true,
  roles: ['admin', 'staff'],
  catalog: {
    [OrdersEvent.ORDER_CREATED]: OrderRefDto,
    [OrdersEvent.ORDER_UPDATED]: OrderRefDto,
    [OrdersEvent.ORDER_STATUS_CHANGED]: OrderStatusDto,
    [OrdersEvent.DELIVERY_UPDATED]: OrderRefDto,
  },
};
