import { Module } from '@nestjs/common';
import { RedisConnections } from '../redis/redis-connections.service';
import { RealtimeModule } from '../realtime/realtime.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { MemoryPresenceStore } from './memory-presence.store';
import { PresenceGateway } from './presence.gateway';
import { PresenceService } from './presence.service';
import { PRESENCE_STORE, type PresenceStore } from './presence.store';
import { RedisPresenceStore } from './redis-presence.store';
import { NamespaceRegistry } from '../realtime/namespace.registry';
import { PRESENCE_NAMESPACE } from './presence.definition';

@Module({
  imports: [RealtimeModule, WebhooksModule],
  providers: [
    {
      provide: PRESENCE_STORE,
      useFactory: (redis: RedisConnections): PresenceStore =>
        redis.enabled ? new RedisPresenceStore(redis.get('state')) : new MemoryPresenceStore(),
      inject: [RedisConnections],
    },
    PresenceService,
    PresenceGateway,
  ],
})
export class PresenceModule {
  /** The namespace is known (publish API, handshake, limits) before any gateway starts. */
  constructor(namespaces: NamespaceRegistry) {
    namespaces.register(PRESENCE_NAMESPACE);
  }
}
