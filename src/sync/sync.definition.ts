import type { NamespaceDefinition } from '../realtime/namespace.registry';
import { SyncStatusDto } from './dto/sync-status.dto';
import { SyncEvent } from './sync.events';

/** /sync: sync job status per organization, with a latest-value snapshot per entity. */
export const SYNC_NAMESPACE: NamespaceDefinition = {
  name: 'sync',
  plainTransports: true,
  roles: ['admin', 'staff'],
  catalog: { [SyncEvent.STATUS]: SyncStatusDto },
  // The latest status per entity: a dashboard opened mid-sync is correct at once.
  snapshot: { field: 'entityId' },
};
