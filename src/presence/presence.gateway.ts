import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { ChannelGateway } from '../realtime/channel.gateway';
import { GatewayKit } from '../realtime/gateway-kit.service';
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
    kit: GatewayKit,
    private readonly presence: PresenceService,
  ) {
    super(kit, PRESENCE_NAMESPACE);
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
    return { ok: true, ttlSeconds: this.kit.config.presence.ttlSeconds };
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
