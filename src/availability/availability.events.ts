import type { Envelope } from '../bus/envelope';
import type { BaseClientToServerEvents, BaseServerToClientEvents, DomainEvents, SubscribeAck } from '../realtime/realtime.events';

export const AvailabilityEvent = {
  STOCK_CHANGED: 'stock:changed',
  STOCK_LOW: 'stock:low',
  ITEM_UNAVAILABLE: 'item:unavailable',
  ITEM_AVAILABLE: 'item:available',
} as const;

/** `data` of item:unavailable and item:available (required fields; publishers may add more). */
export interface SkuRef {
  readonly sku: string;
}

/** `data` of stock:changed. */
export interface StockLevel extends SkuRef {
  readonly quantity: number;
}

/** `data` of stock:low. */
export interface StockLowLevel extends StockLevel {
  readonly threshold: number;
}

/** `data` of each /availability event; publishers may add fields beyond the required ones. */
export interface AvailabilityCatalog {
  'stock:changed': StockLevel & Record<string, unknown>;
  'stock:low': StockLowLevel & Record<string, unknown>;
  'item:unavailable': SkuRef & Record<string, unknown>;
  'item:available': SkuRef & Record<string, unknown>;
}

/**
 * What a stock page opens with: per SKU, the latest stock event (`stock:changed` or `stock:low`)
 * and the latest availability event (`item:unavailable` or `item:available`), newest first, as of
 * `{ epoch, seq }`. A SKU may have one of the two, or both.
 */
export interface AvailabilitySnapshot {
  readonly epoch: string;
  readonly seq: number;
  readonly items: readonly Envelope<AvailabilityCatalog[keyof AvailabilityCatalog]>[];
}

/** On /availability every subscribe ack carries the channel's snapshot (protocol §8). */
export type AvailabilitySubscribeAck = SubscribeAck & { readonly snapshot: AvailabilitySnapshot };

export type AvailabilityClientToServerEvents = BaseClientToServerEvents;
export type AvailabilityServerToClientEvents = BaseServerToClientEvents & DomainEvents<AvailabilityCatalog>;
