import type { NamespaceDefinition } from '../realtime/namespace.registry';
import { SkuDto } from './dto/sku.dto';
import { StockChangedDto } from './dto/stock-changed.dto';
import { StockLowDto } from './dto/stock-low.dto';
import { AvailabilityEvent } from './availability.events';

/** /availability: stock and item availability per branch, with a latest-value snapshot per SKU. */
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
