import type { NamespaceDefinition } from '../realtime/namespace.registry';
import type { BaseClientToServerEvents, BaseServerToClientEvents, DomainEvents } from '../realtime/realtime.events';
import { SyncStatusDto } from './dto/sync-status.dto';

export const SyncEvent = {
  STATUS: 'sync:status',
  CONNECTED: 'sync:connected',
} as const;

/** Sent once on connect, after `session`; the existing frontend waits for it. */
export interface SyncConnectedPayload {
  readonly organizationId: string;
  /** Epoch milliseconds. */
  readonly timestamp: number;
}

export interface SyncCatalog {
  'sync:status': SyncStatusDto & Record<string, unknown>;
}

export type SyncClientToServerEvents = BaseClientToServerEvents;
export type SyncServerToClientEvents = BaseServerToClientEvents &
  DomainEvents<SyncCatalog> & { 'sync:connected'(payload: SyncConnectedPayload): void };

export const SYNC_NAMESPACE: NamespaceDefinition = {
  name: 'sync',
  roles: ['admin', 'staff'],
  catalog: { [SyncEvent.STATUS]: SyncStatusDto },
  // The latest status per entity: a dashboard opened mid-sync is correct at once.
  snapshot: { field: 'entityId' },
};
