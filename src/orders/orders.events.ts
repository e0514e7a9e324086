import type { PrintingDashboardEvents } from '../printing/printing.events';
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

/** `data` of order:created, order:updated and delivery:updated (required fields; publishers may add more). */
export interface OrderRef {
  readonly orderId: string | number;
}

/** `data` of order:status-changed. */
export interface OrderStatusChange extends OrderRef {
  readonly status: string;
}

/** `data` of each /orders event from the publish API; publishers may add fields beyond the required ones. */
export interface OrdersCatalog {
  'order:created': OrderRef & Record<string, unknown>;
  'order:updated': OrderRef & Record<string, unknown>;
  'order:status-changed': OrderStatusChange & Record<string, unknown>;
  'delivery:updated': OrderRef & Record<string, unknown>;
}

export type OrdersClientToServerEvents = BaseClientToServerEvents;
/** Publishers' events, plus the printing events the server itself sends to dashboards (protocol §7). */
export type OrdersServerToClientEvents = BaseServerToClientEvents & DomainEvents<OrdersCatalog> & PrintingDashboardEvents;

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
