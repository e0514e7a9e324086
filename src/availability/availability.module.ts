import { Module } from '@nestjs/common';
import { RealtimeModule } from '../realtime/realtime.module';
import { AvailabilityGateway } from './availability.gateway';
import { NamespaceRegistry } from '../realtime/namespace.registry';
import { AVAILABILITY_NAMESPACE } from './availability.definition';

@Module({ imports: [RealtimeModule], providers: [AvailabilityGateway] })
export class AvailabilityModule {
  /** The namespace is known (publish API, handshake, limits) before any gateway starts. */
  constructor(namespaces: NamespaceRegistry) {
    namespaces.register(AVAILABILITY_NAMESPACE);
  }
}
