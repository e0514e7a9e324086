import { Inject } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { ChannelGateway } from '../realtime/channel.gateway';
import { NamespaceGate } from '../realtime/namespace-gate';
import { SessionLifecycle } from '../realtime/session-lifecycle';
import { SubscriptionService } from '../realtime/subscription.service';
import { APP_CONFIG, type AppConfig } from '../config';
import type { OkAck } from '../realtime/realtime.events';
import type { AppSocket } from '../realtime/subscription.service';
import { PresenceListDto } from './dto/presence-list.dto';
import { PresenceUpdateDto } from './dto/presence-update.dto';
import { PRESENCE_NAMESPACE } from './presence.definition';
import { PresenceEvent, type PresenceHeartbeatAck, type PresenceListAck } from './presence.events';
import { PresenceService } from './presence.service';

/** /presence: who is online, and what they are looking at, per company and branch. */
@WebSocketGateway({ namespace: `/${PRESENCE_NAMESPACE.name}` })
export class PresenceGateway extends ChannelGateway {
  constructor(
    gate: NamespaceGate,
    sessions: SessionLifecycle,
    subscriptions: SubscriptionService,
    private readonly presence: PresenceService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super(gate, sessions, subscriptions, PRESENCE_NAMESPACE);
  }

  protected override afterConnect(socket: AppSocket): Promise<void> {
    return this.presence.connected(socket);
  }

  protected override afterDisconnect(socket: AppSocket): Promise<void> {
    return this.presence.disconnected(socket);
  }

  @SubscribeMessage(PresenceEvent.UPDATE)
  async update(@ConnectedSocket() socket: AppSocket, @MessageBody() request: PresenceUpdateDto): Promise<OkAck> {
    await this.presence.update(socket, request);
    return { ok: true };
  }

  @SubscribeMessage(PresenceEvent.HEARTBEAT)
  async heartbeat(@ConnectedSocket() socket: AppSocket): Promise<PresenceHeartbeatAck> {
    await this.presence.heartbeat(socket);
    return { ok: true, ttlSeconds: this.config.presence.ttlSeconds };
  }

  @SubscribeMessage(PresenceEvent.LIST)
  async list(@ConnectedSocket() socket: AppSocket, @MessageBody() request: PresenceListDto): Promise<PresenceListAck> {
    return { ok: true, members: await this.presence.list(socket, request.channel) };
  }

  protected override afterSubscribe(socket: AppSocket, channel: string): Promise<void> {
    return this.presence.subscribed(socket, channel);
  }

  protected override afterUnsubscribe(socket: AppSocket, channel: string): Promise<void> {
    return this.presence.unsubscribed(socket, channel);
  }
}
