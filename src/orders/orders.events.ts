import type { NamespaceDefinition } from '../realtime/namespace.registry';
import type { BaseClientToServerEvents, BaseServerToClientEvents, DomainEvents } from '../realtime/realtime.events';
import { OrderRefDto } from './dto/order-ref.dto';
import { OrderStatusDto } from './dto/order-status.dto';

export const OrdersEvent = {
  ORDER_CREATED: 'order:created',
  ORDER_UPDATED: 'order:updated',
  ORDER_STATUS_CHANGED: 'order:status-changed',
  DELIVERY_UPDATED: 'delivery:updated',
} as const;

/** `data` of each /orders event; publishers may add fields beyond the required ones. */
export interface OrdersCatalog {
  'order:created': OrderRefDto & Record<string, unknown>;
  'order:updated': OrderRefDto & Record<string, unknown>;
  'order:status-changed': OrderStatusDto & Record<string, unknown>;
  'delivery:updated': OrderRefDto & Record<string, unknown>;
}

export type OrdersClientToServerEvents = BaseClientToServerEvents;
export type OrdersServerToClientEvents = BaseServerToClientEvents & DomainEvents<OrdersCatalog>;

export const ORDERS_NAMESPACE: NamespaceDefinition = {
  name: 'orders',
  roles: ['admin', 'staff'],
  catalog: {
    [OrdersEvent.ORDER_CREATED]: OrderRefDto,
    [OrdersEvent.ORDER_UPDATED]: OrderRefDto,
    [OrdersEvent.ORDER_STATUS_CHANGED]: OrderStatusDto,
    [OrdersEvent.DELIVERY_UPDATED]: OrderRefDto,
  },
};
