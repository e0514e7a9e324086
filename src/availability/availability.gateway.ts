import { WebSocketGateway } from '@nestjs/websockets';
import { ChannelGateway } from '../realtime/channel.gateway';
import { NamespaceGate } from '../realtime/namespace-gate';
import { SessionLifecycle } from '../realtime/session-lifecycle';
import { SubscriptionService } from '../realtime/subscription.service';
import { AVAILABILITY_NAMESPACE } from './availability.definition';

/** /availability: dashboards follow stock and item availability per company or branch. */
@WebSocketGateway({ namespace: `/${AVAILABILITY_NAMESPACE.name}` })
export class AvailabilityGateway extends ChannelGateway {
  constructor(gate: NamespaceGate, sessions: SessionLifecycle, subscriptions: SubscriptionService) {
    super(gate, sessions, subscriptions, AVAILABILITY_NAMESPACE);
  }
}
