import { Module } from '@nestjs/common';
import { RealtimeModule } from '../realtime/realtime.module';
import { SyncGateway } from './sync.gateway';
import { NamespaceRegistry } from '../realtime/namespace.registry';
import { SYNC_NAMESPACE } from './sync.definition';

@Module({ imports: [RealtimeModule], providers: [SyncGateway] })
export class SyncModule {
  /** The namespace is known (publish API, handshake, limits) before any gateway starts. */
  constructor(namespaces: NamespaceRegistry) {
    namespaces.register(SYNC_NAMESPACE);
  }
}
