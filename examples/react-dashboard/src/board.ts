import type { EnvelopeOf, ResyncReason } from '@switchboard/client';

export interface Order {
  readonly orderId: string;
  readonly channel: string;
  readonly status?: string;
  readonly delivery?: string;
  /** The latest print-job status of this order's ticket. */
  readonly ticket?: string;
  readonly updatedAt: number;
}

export interface StockItem {
  readonly sku: string;
  readonly channel: string;
  readonly quantity?: number;
  readonly threshold?: number;
  readonly available: boolean;
  readonly updatedAt: number;
}

export interface Board {
  readonly orders: Readonly<Record<string, Order>>;
  readonly stock: Readonly<Record<string, StockItem>>;
  /** Branches whose printing agent is offline: branchId → since. */
  readonly offlinePrinting: Readonly<Record<string, number>>;
  readonly notices: readonly string[];
}

export const EMPTY_BOARD: Board = { orders: {}, stock: {}, offlinePrinting: {}, notices: [] };

type OrdersEvent = EnvelopeOf<'orders'>;
type AvailabilityEvent = EnvelopeOf<'availability'>;

/** A display string for a free-form field publishers may add (status, delivery). */
const text = (value: unknown): string | undefined =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;

/** Applies one /orders event. `switch (event.event)` narrows `event.data` to that event's type. */
export function applyOrders(board: Board, event: OrdersEvent): Board {
  const touch = (orderId: string, patch: Partial<Order>): Board => {
    const previous = board.orders[orderId];
    const order: Order = { ...previous, orderId, channel: event.channel, ...patch, updatedAt: event.ts };
    return { ...board, orders: { ...board.orders, [orderId]: order } };
  };
  switch (event.event) {
    case 'order:created':
      return touch(String(event.data.orderId), { status: text(event.data.status) ?? 'new' });
    case 'order:updated':
      return touch(String(event.data.orderId), event.data.status !== undefined ? { status: text(event.data.status) } : {});
    case 'order:status-changed':
      return touch(String(event.data.orderId), { status: event.data.status });
    case 'delivery:updated':
      return touch(String(event.data.orderId), { delivery: text(event.data.delivery ?? event.data.status) ?? 'updated' });
    case 'print-job:updated':
      return event.data.orderId ? touch(event.data.orderId, { ticket: event.data.status }) : board;
    case 'printing:agent-offline':
      return { ...board, offlinePrinting: { ...board.offlinePrinting, [event.data.branchId]: event.data.since } };
    case 'printing:agent-online': {
      const { [event.data.branchId]: _gone, ...rest } = board.offlinePrinting;
      return { ...board, offlinePrinting: rest };
    }
  }
}

/** Applies one /availability event. */
export function applyAvailability(board: Board, event: AvailabilityEvent): Board {
  const sku = event.data.sku;
  const previous = board.stock[sku];
  const base: StockItem = previous ?? { sku, channel: event.channel, available: true, updatedAt: event.ts };
  let item: StockItem;
  switch (event.event) {
    case 'stock:changed':
      item = { ...base, quantity: event.data.quantity, available: event.data.quantity > 0 };
      break;
    case 'stock:low':
      item = { ...base, quantity: event.data.quantity, threshold: event.data.threshold };
      break;
    case 'item:unavailable':
      item = { ...base, available: false };
      break;
    case 'item:available':
      item = { ...base, available: true };
      break;
  }
  return { ...board, stock: { ...board.stock, [sku]: { ...item, updatedAt: event.ts } } };
}

/**
 * The channel could not be replayed (or its stream was reset): what this board knows of it may be
 * stale. A real application reloads it from its own API here; this example has none, so it drops
 * that channel's rows and says so.
 */
export function resync(board: Board, namespace: string, channel: string, reason: ResyncReason): Board {
  const keep = <T extends { channel: string }>(rows: Readonly<Record<string, T>>) =>
    Object.fromEntries(Object.entries(rows).filter(([, row]) => row.channel !== channel));
  return {
    ...board,
    orders: namespace === 'orders' ? keep(board.orders) : board.orders,
    stock: namespace === 'availability' ? keep(board.stock) : board.stock,
    notices: [...board.notices.slice(-4), `/${namespace} ${channel}: ${reason}, state reloaded`],
  };
}
