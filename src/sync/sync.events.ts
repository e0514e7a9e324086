import type { BaseClientToServerEvents, BaseServerToClientEvents, DomainEvents, Envelope, SubscribeAck } from '../realtime/realtime.events';

/** A sync job's state; the DTO lists them at run time (sync-status.dto.ts) from this same union. */
export type SyncType = 'SYNC_PROCESSING' | 'SYNC_SUCCESS' | 'SYNC_CONFLICT' | 'SYNC_FAILED';

/**
 * `data` of sync:status. `details` is `{ conflictingFields: string[] }` for SYNC_CONFLICT and
 * `{ error: string, retryCount: number }` for SYNC_FAILED; publishers may add fields.
 */
export interface SyncStatus {
  readonly type: SyncType;
  readonly entityId: string | number;
  readonly details?: Record<string, unknown>;
}

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
  'sync:status': SyncStatus & Record<string, unknown>;
}

/** The latest sync:status per entity, newest first: what a dashboard opened mid-sync starts from. */
export interface SyncSnapshot {
  readonly epoch: string;
  readonly seq: number;
  readonly items: readonly Envelope<SyncCatalog['sync:status']>[];
}

/** On /sync every subscribe ack carries the channel's snapshot (protocol §8). */
export type SyncSubscribeAck = SubscribeAck & { readonly snapshot: SyncSnapshot };

export type SyncClientToServerEvents = BaseClientToServerEvents;
export type SyncServerToClientEvents = BaseServerToClientEvents &
  DomainEvents<SyncCatalog> & { 'sync:connected'(payload: SyncConnectedPayload): void };
