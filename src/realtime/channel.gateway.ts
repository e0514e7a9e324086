import { Logger, UseFilters, UseGuards, UsePipes } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
} from '@nestjs/websockets';
import type { Namespace } from 'socket.io';
import type { Principal } from '../common/principal';
import { SubscribeDto } from './dto/subscribe.dto';
import { RefreshDto } from './dto/refresh.dto';
import { UnsubscribeDto } from './dto/unsubscribe.dto';
import type { NamespaceDefinition } from './namespace.registry';
import type { NamespaceGate } from './namespace-gate';
import {
  RealtimeEvent,
  type BaseServerToClientEvents,
  type OkAck,
  type PingAck,
  type RefreshAck,
  type SubscribeAck,
} from './realtime.events';
import type { SessionLifecycle } from './session-lifecycle';
import type { AppSocket, SubscriptionService } from './subscription.service';
import { WsAckExceptionFilter } from './ws-exception.filter';
import { WsSessionGuard } from './ws-session.guard';
import { WsValidationPipe } from './ws-validation.pipe';

/**
 * The part every namespace gateway shares, through three collaborators: the handshake checks
 * (NamespaceGate), the session (SessionLifecycle: `session` on connect, the token, the connection's
 * metrics and log line), and subscribe/unsubscribe (SubscriptionService). Per message, the
 * enhancers: WsSessionGuard (token still valid, command roles), WsValidationPipe (DTOs) and
 * WsAckExceptionFilter (the ack envelope). A namespace extends it with a decorator, a definition
 * and its own handlers. Enhancers are applied here, per gateway, because global ones do not reach
 * gateways.
 */
@UsePipes(WsValidationPipe)
@UseFilters(WsAckExceptionFilter)
@UseGuards(WsSessionGuard)
export abstract class ChannelGateway<ServerToClient extends BaseServerToClientEvents = BaseServerToClientEvents>
  implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect
{
  protected readonly logger = new Logger('Gateway');

  protected constructor(
    private readonly gate: NamespaceGate,
    private readonly sessions: SessionLifecycle,
    private readonly subscriptions: SubscriptionService,
    protected readonly definition: NamespaceDefinition,
  ) {}

  afterInit(nsp: Namespace): void {
    this.gate.open(nsp, this.definition);
  }

  /** Sends `session`, then runs the namespace's hook. Never rejects: Nest does not await it. */
  async handleConnection(socket: AppSocket<ServerToClient>): Promise<void> {
    this.sessions.opened(socket, this.definition);
    try {
      await this.afterConnect(socket);
    } catch (error) {
      this.logger.error(`afterConnect on /${this.definition.name}: ${(error as Error).message}`);
    }
  }

  /** Never rejects: Nest does not await it. */
  async handleDisconnect(socket: AppSocket<ServerToClient>, reason?: string): Promise<void> {
    // From Nest's own disconnect hook, not a listener of ours per socket (heap per connection).
    this.sessions.closed(socket, this.definition, reason);
    try {
      await this.afterDisconnect(socket);
    } catch (error) {
      this.logger.error(`afterDisconnect on /${this.definition.name}: ${(error as Error).message}`);
    }
  }

  @SubscribeMessage(RealtimeEvent.SUBSCRIBE)
  async subscribe(@ConnectedSocket() socket: AppSocket<ServerToClient>, @MessageBody() request: SubscribeDto): Promise<SubscribeAck> {
    const ack = await this.subscriptions.subscribe(socket, this.definition, request);
    await this.afterSubscribe(socket, ack.channel);
    return ack;
  }

  @SubscribeMessage(RealtimeEvent.UNSUBSCRIBE)
  async unsubscribe(@ConnectedSocket() socket: AppSocket<ServerToClient>, @MessageBody() request: UnsubscribeDto): Promise<OkAck> {
    const ack = this.subscriptions.unsubscribe(socket, this.definition, request);
    await this.afterUnsubscribe(socket, request.channel);
    return ack;
  }

  /** Swaps in a newer token (same user and company) before this one expires. */
  @SubscribeMessage(RealtimeEvent.AUTH_REFRESH)
  async refresh(@ConnectedSocket() socket: AppSocket<ServerToClient>, @MessageBody() request: RefreshDto): Promise<RefreshAck> {
    const previous = socket.data.principal;
    const ack = this.sessions.refresh(socket, this.definition, request.token);
    for (const channel of ack.dropped) await this.afterUnsubscribe(socket, channel);
    await this.afterRefresh(socket, previous);
    return ack;
  }

  /** Liveness end to end (a client checks it after sleep or a network change) and the server's clock. */
  @SubscribeMessage(RealtimeEvent.SESSION_PING)
  ping(): PingAck {
    return { ok: true, serverTime: Date.now() };
  }

  /**
   * Hooks for namespaces that add behaviour to the shared lifecycle (sync:connected, presence).
   * Overriding a decorated handler would drop its decorators, so namespaces override these instead.
   */
  protected afterConnect(_socket: AppSocket<ServerToClient>): Promise<void> | void {}

  protected afterDisconnect(_socket: AppSocket<ServerToClient>): Promise<void> | void {}

  protected afterSubscribe(_socket: AppSocket<ServerToClient>, _channel: string): Promise<void> | void {}

  protected afterUnsubscribe(_socket: AppSocket<ServerToClient>, _channel: string): Promise<void> | void {}

  /**
   * After `auth:refresh` swapped the principal: a namespace re-checks every right the socket holds
   * beyond channel subscriptions (which the refresh itself re-checks), against the new claims.
   */
  protected afterRefresh(_socket: AppSocket<ServerToClient>, _previous: Principal): Promise<void> | void {}
}
