import type { NamespaceDefinition } from '../realtime/namespace.registry';
import type { BaseClientToServerEvents, BaseServerToClientEvents, DomainEvents } from '../realtime/realtime.events';
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
};
