import { WebSocketGateway } from '@nestjs/websockets';
import { ChannelGateway } from '../realtime/channel.gateway';
import { NamespaceGate } from '../realtime/namespace-gate';
import { SessionLifecycle } from '../realtime/session-lifecycle';
import { SubscriptionService } from '../realtime/subscription.service';
import type { AppSocket } from '../realtime/subscription.service';
import { SYNC_NAMESPACE } from './sync.definition';
import { SyncEvent, type SyncConnectedPayload, type SyncServerToClientEvents } from './sync.events';

/** /sync: the status of sync jobs per organization (= company), with a snapshot on subscribe. */
@WebSocketGateway({ namespace: `/${SYNC_NAMESPACE.name}` })
export class SyncGateway extends ChannelGateway<SyncServerToClientEvents> {
  constructor(gate: NamespaceGate, sessions: SessionLifecycle, subscriptions: SubscriptionService) {
    super(gate, sessions, subscriptions, SYNC_NAMESPACE);
  }

  protected override afterConnect(socket: AppSocket<SyncServerToClientEvents>): void {
    const payload: SyncConnectedPayload = { organizationId: socket.data.principal.companyId, timestamp: Date.now() };
    socket.emit(SyncEvent.CONNECTED, payload);
  }
}
