import { UseFilters, UsePipes } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, type OnGatewayConnection, type OnGatewayInit } from '@nestjs/websockets';
import type { Namespace } from 'socket.io';
import { handshakeAuth } from '../auth/handshake.middleware';
import { SubscribeDto } from './dto/subscribe.dto';
import { UnsubscribeDto } from './dto/unsubscribe.dto';
import type { GatewayKit } from './gateway-kit.service';
import type { NamespaceDefinition } from './namespace.registry';
import { RealtimeEvent, type OkAck, type SessionPayload, type SubscribeAck } from './realtime.events';
import { socketSetup } from './socket-setup.middleware';
import type { AppSocket } from './subscription.service';
import { WsAckExceptionFilter } from './ws-exception.filter';
import { WsValidationPipe } from './ws-validation.pipe';

/**
 * The part every namespace gateway shares: handshake auth, per-socket limits, `session` on
 * connect, and subscribe/unsubscribe. A namespace extends it with a decorator, a definition
 * and its own handlers. Pipes and filters are applied here, per gateway, because global ones
 * do not reach gateways.
 */
@UsePipes(WsValidationPipe)
@UseFilters(WsAckExceptionFilter)
export abstract class ChannelGateway implements OnGatewayInit, OnGatewayConnection {
  protected constructor(
    protected readonly kit: GatewayKit,
    protected readonly definition: NamespaceDefinition,
  ) {
    kit.registry.register(definition);
  }

  afterInit(nsp: Namespace): void {
    nsp.use(handshakeAuth(this.kit.verifier, `/${this.definition.name}`, this.definition.roles));
    nsp.use(socketSetup(this.kit.config.limits.maxMessageBytes));
    this.kit.delivery.attachNamespace(this.definition.name, nsp);
  }

  handleConnection(socket: AppSocket): void {
    const { principal } = socket.data;
    const session: SessionPayload = {
      sessionId: socket.id,
      namespace: `/${this.definition.name}`,
      node: this.kit.config.nodeId,
      user: { id: principal.id, companyId: principal.companyId, branchIds: principal.branchIds, roles: principal.roles },
      limits: {
        maxPayloadBytes: this.kit.config.limits.maxMessageBytes,
        maxSubscriptions: this.kit.config.limits.maxSubscriptionsPerSocket,
      },
      tokenExpiresAt: principal.expiresAt,
      serverTime: Date.now(),
    };
    socket.emit(RealtimeEvent.SESSION, session);
  }

  @SubscribeMessage(RealtimeEvent.SUBSCRIBE)
  async subscribe(@ConnectedSocket() socket: AppSocket, @MessageBody() request: SubscribeDto): Promise<SubscribeAck> {
    const ack = await this.kit.subscriptions.subscribe(socket, this.definition, request);
    await this.afterSubscribe(socket, ack.channel);
    return ack;
  }

  @SubscribeMessage(RealtimeEvent.UNSUBSCRIBE)
  async unsubscribe(@ConnectedSocket() socket: AppSocket, @MessageBody() request: UnsubscribeDto): Promise<OkAck> {
    const ack = this.kit.subscriptions.unsubscribe(socket, this.definition, request);
    await this.afterUnsubscribe(socket, request.channel);
    return ack;
  }

  /**
   * Hooks for namespaces that attach meaning to following a channel (presence). Overriding a
   * decorated handler would drop its decorators, so namespaces override these instead.
   */
  protected afterSubscribe(_socket: AppSocket, _channel: string): Promise<void> | void {}

  protected afterUnsubscribe(_socket: AppSocket, _channel: string): Promise<void> | void {}
}
