import type { AdminClientToServerEvents, AdminServerToClientEvents } from '../admin/admin.events';
import type { AvailabilityClientToServerEvents, AvailabilityServerToClientEvents } from '../availability/availability.events';
import type { OrdersClientToServerEvents, OrdersServerToClientEvents } from '../orders/orders.events';
import type { PresenceClientToServerEvents, PresenceServerToClientEvents } from '../presence/presence.events';
import type { PrintingClientToServerEvents, PrintingDashboardEvents, PrintingServerToClientEvents } from '../printing/printing.events';
import type { BaseClientToServerEvents, BaseServerToClientEvents } from '../realtime/realtime.events';
import type { SyncClientToServerEvents, SyncServerToClientEvents } from '../sync/sync.events';

/**
 * The whole wire contract, one entry per namespace: what clients may send and what they receive.
 * The client SDK (packages/client) types itself from this map, and the AsyncAPI test holds
 * docs/asyncapi.yaml to the names below, so the code, the SDK and the document cannot drift.
 */
export interface NamespaceEventMaps {
  /** Printing sends its dashboard events on /orders as well (print-job:updated, agents offline…). */
  orders: { clientToServer: OrdersClientToServerEvents; serverToClient: OrdersServerToClientEvents & PrintingDashboardEvents };
  availability: { clientToServer: AvailabilityClientToServerEvents; serverToClient: AvailabilityServerToClientEvents };
  sync: { clientToServer: SyncClientToServerEvents; serverToClient: SyncServerToClientEvents };
  presence: { clientToServer: PresenceClientToServerEvents; serverToClient: PresenceServerToClientEvents };
  'printing-ws': { clientToServer: PrintingClientToServerEvents; serverToClient: PrintingServerToClientEvents };
  'admin-ws': { clientToServer: AdminClientToServerEvents; serverToClient: AdminServerToClientEvents };
}

export type NamespaceName = keyof NamespaceEventMaps;

/**
 * Lists every key of an event map at run time. The parameter's type demands each key exactly once
 * (a missing one and an unknown one are both compile errors), so a list cannot fall behind its map.
 */
type AllOf<Events> = { readonly [Name in keyof Events & string]: true };

function namesOf<Events>(names: AllOf<Events>): readonly (keyof Events & string)[] {
  return Object.keys(names) as (keyof Events & string)[];
}

// Typed, so that a stray name in a shared part is an error too (spreads escape excess-property checks).
const BASE_CLIENT_TO_SERVER: AllOf<BaseClientToServerEvents> = {
  subscribe: true,
  unsubscribe: true,
  'auth:refresh': true,
  'session:ping': true,
};
const BASE_SERVER_TO_CLIENT: AllOf<BaseServerToClientEvents> = {
  session: true,
  batch: true,
  'channel:reset': true,
  exception: true,
  'session:ended': true,
  'server:draining': true,
  'auth:expiring': true,
};
const PRINTING_DASHBOARD: AllOf<PrintingDashboardEvents> = {
  'print-job:updated': true,
  'printing:agent-offline': true,
  'printing:agent-online': true,
};

/** Every event name of every namespace, by direction, at run time. */
export const NAMESPACE_EVENTS: {
  readonly [Name in NamespaceName]: {
    readonly clientToServer: readonly (keyof NamespaceEventMaps[Name]['clientToServer'] & string)[];
    readonly serverToClient: readonly (keyof NamespaceEventMaps[Name]['serverToClient'] & string)[];
  };
} = {
  orders: {
    clientToServer: namesOf<OrdersClientToServerEvents>(BASE_CLIENT_TO_SERVER),
    serverToClient: namesOf<OrdersServerToClientEvents & PrintingDashboardEvents>({
      ...BASE_SERVER_TO_CLIENT,
      ...PRINTING_DASHBOARD,
      'order:created': true,
      'order:updated': true,
      'order:status-changed': true,
      'delivery:updated': true,
    }),
  },
  availability: {
    clientToServer: namesOf<AvailabilityClientToServerEvents>(BASE_CLIENT_TO_SERVER),
    serverToClient: namesOf<AvailabilityServerToClientEvents>({
      ...BASE_SERVER_TO_CLIENT,
      'stock:changed': true,
      'stock:low': true,
      'item:unavailable': true,
      'item:available': true,
    }),
  },
  sync: {
    clientToServer: namesOf<SyncClientToServerEvents>(BASE_CLIENT_TO_SERVER),
    serverToClient: namesOf<SyncServerToClientEvents>({ ...BASE_SERVER_TO_CLIENT, 'sync:status': true, 'sync:connected': true }),
  },
  presence: {
    clientToServer: namesOf<PresenceClientToServerEvents>({
      ...BASE_CLIENT_TO_SERVER,
      'presence:update': true,
      'presence:heartbeat': true,
      'presence:list': true,
    }),
    serverToClient: namesOf<PresenceServerToClientEvents>({
      ...BASE_SERVER_TO_CLIENT,
      'presence:joined': true,
      'presence:updated': true,
      'presence:left': true,
    }),
  },
  'printing-ws': {
    clientToServer: namesOf<PrintingClientToServerEvents>({
      ...BASE_CLIENT_TO_SERVER,
      'printers:register': true,
      'printers:status': true,
      'print:job-status': true,
    }),
    serverToClient: namesOf<PrintingServerToClientEvents>({
      ...BASE_SERVER_TO_CLIENT,
      ...PRINTING_DASHBOARD,
      'print:job': true,
      'print:job-cancelled': true,
      'printers:updated': true,
    }),
  },
  'admin-ws': {
    clientToServer: namesOf<AdminClientToServerEvents>({
      ...BASE_CLIENT_TO_SERVER,
      'admin:revoke-user': true,
      'admin:kick-user': true,
      'admin:cancel-print-job': true,
      'admin:resend-print-job': true,
      'admin:audit': true,
    }),
    serverToClient: namesOf<AdminServerToClientEvents>({ ...BASE_SERVER_TO_CLIENT, 'admin:stats': true, 'admin:trend': true }),
  },
};
