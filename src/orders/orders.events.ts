import type { BaseClientToServerEvents, BaseServerToClientEvents, DomainEvents } from '../realtime/realtime.events';

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
/**
 * Publishers' events. Printing also sends its dashboard events here (protocol §7): the contract
 * (contract/namespaces.events.ts) adds them, so that orders/ does not depend on printing/.
 */
export type OrdersServerToClientEvents = BaseServerToClientEvents & DomainEvents<OrdersCatalog>;
