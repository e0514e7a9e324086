import type { NamespaceDefinition } from '../realtime/namespace.registry';
import type { Envelope } from '../bus/envelope';
import type { BaseClientToServerEvents, BaseServerToClientEvents, DomainEvents, SubscribeAck } from '../realtime/realtime.events';
import { SkuDto } from './dto/sku.dto';
import { StockChangedDto } from './dto/stock-changed.dto';
import { StockLowDto } from './dto/stock-low.dto';

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

export const AVAILABILITY_NAMESPACE: NamespaceDefinition = {
  name: 'availability',
  plainTransports: true,
  roles: ['admin', 'staff'],
  catalog: {
    [AvailabilityEvent.STOCK_CHANGED]: StockChangedDto,
    [AvailabilityEvent.STOCK_LOW]: StockLowDto,
    [AvailabilityEvent.ITEM_UNAVAILABLE]: SkuDto,
    [AvailabilityEvent.ITEM_AVAILABLE]: SkuDto,
  },
  // A stock page is correct at once: each SKU's stock level and its availability, kept apart so
  // that "available again" does not hide the quantity.
  snapshot: {
    field: 'sku',
    facets: {
      [AvailabilityEvent.STOCK_CHANGED]: 'stock',
      [AvailabilityEvent.STOCK_LOW]: 'stock',
      [AvailabilityEvent.ITEM_UNAVAILABLE]: 'availability',
      [AvailabilityEvent.ITEM_AVAILABLE]: 'availability',
    },
  },
};
