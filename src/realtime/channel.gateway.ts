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
import { handshakeAuth } from '../auth/handshake.middleware';
import { keepsDebugLines } from '../config';
import { connectionFields, observeRefusals } from './connection-telemetry';
import { SubscribeDto } from './dto/subscribe.dto';
import { RefreshDto } from './dto/refresh.dto';
import { UnsubscribeDto } from './dto/unsubscribe.dto';
import type { GatewayKit } from './gateway-kit.service';
import type { NamespaceDefinition } from './namespace.registry';
import {
  RealtimeEvent,
  type OkAck,
  type PingAck,
  type RefreshAck,
  type SessionLimits,
  type SessionPayload,
  type SubscribeAck,
} from './realtime.events';
import { corkUntilConnected, sendSession } from './session-frame';
import type { AppSocket } from './subscription.service';
import { WsAckExceptionFilter } from './ws-exception.filter';
import { WsSessionGuard } from './ws-session.guard';
import { WsValidationPipe } from './ws-validation.pipe';

/**
 * The part every namespace gateway shares: handshake auth, per-socket limits, `session` on
 * connect, and subscribe/unsubscribe. A namespace extends it with a decorator, a definition
 * and its own handlers. Pipes and filters are applied here, per gateway, because global ones
 * do not reach gateways.
 */
@UsePipes(WsValidationPipe)
@UseFilters(WsAckExceptionFilter)
@UseGuards(WsSessionGuard)
export abstract class ChannelGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect {
  protected readonly logger = new Logger('Gateway');
  private readonly debugLogged: boolean;
  /** The `session` payload's limits: the same for every socket of the namespace, built once. */
  private readonly limits: SessionLimits;

  protected constructor(
    protected readonly kit: GatewayKit,
    protected readonly definition: NamespaceDefinition,
  ) {
    this.debugLogged = keepsDebugLines(kit.config.log);
    this.limits = Object.freeze(kit.sessionLimits(definition));
  }

  afterInit(nsp: Namespace): void {
    const namespace = `/${this.definition.name}`;
    const observe = observeRefusals(namespace, this.kit.metrics);
    nsp.use(observe(handshakeAuth(this.kit.verifier, this.kit.revocations, namespace, this.definition.roles, this.definition.admit)));
    nsp.use(observe(this.kit.inbound.middleware()));
    // Last of the checks: a socket counted by the connection limits is sure to connect.
    nsp.use(observe(this.kit.connections.middleware()));
    // After every check: it never refuses, and holds CONNECT for `session` (session-frame.ts).
    nsp.use(corkUntilConnected);
    this.kit.directory.attachNamespace(this.definition.name, nsp);
  }

  /** Sends `session`, then runs the namespace's hook. Never rejects: Nest does not await it. */
  async handleConnection(socket: AppSocket): Promise<void> {
    const { principal } = socket.data;
    const session: SessionPayload = {
      sessionId: socket.id,
      namespace: `/${this.definition.name}`,
      node: this.kit.config.nodeId,
      user: { id: principal.id, companyId: principal.companyId, branchIds: principal.branchIds, roles: principal.roles },
      limits: this.limits,
      tokenExpiresAt: principal.expiresAt,
      serverTime: Date.now(),
    };
    sendSession(socket, session);
    this.kit.tokens.track(socket);
    this.kit.metrics.handshakeAccepted(session.namespace);
    // One line per connection, when it ends (handleDisconnect), with everything the connect line
    // had: at the default level a handshake writes no log line (the line was ~10 % of a
    // handshake's CPU). `connected` is a debug line.
    if (this.debugLogged) this.logger.debug({ msg: 'connected', ...connectionFields(socket, session.namespace) });
    try {
      await this.afterConnect(socket);
    } catch (error) {
      this.logger.error(`afterConnect on /${this.definition.name}: ${(error as Error).message}`);
    }
  }

  /** Never rejects: Nest does not await it. */
  async handleDisconnect(socket: AppSocket, reason?: string): Promise<void> {
    // From Nest's own disconnect hook, not a listener of ours per socket (heap per connection).
    // The handshake's time stands for the connection's start: the socket exists from then.
    const connectedAt = socket.handshake.issued;
    this.kit.metrics.connectionDuration.observe({ namespace: `/${this.definition.name}` }, (Date.now() - connectedAt) / 1000);
    this.logger.log({
      msg: 'disconnected',
      ...connectionFields(socket, `/${this.definition.name}`),
      reason,
      connectedAt,
      durationMs: Date.now() - connectedAt,
    });
    this.kit.tokens.untrack(socket);
    try {
      await this.afterDisconnect(socket);
    } catch (error) {
      this.logger.error(`afterDisconnect on /${this.definition.name}: ${(error as Error).message}`);
    }
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

  /** Swaps in a newer token (same user and company) before this one expires. */
  @SubscribeMessage(RealtimeEvent.AUTH_REFRESH)
  async refresh(@ConnectedSocket() socket: AppSocket, @MessageBody() request: RefreshDto): Promise<RefreshAck> {
    const previous = socket.data.principal;
    const ack = this.kit.tokens.refresh(socket, this.definition, request.token);
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
  protected afterConnect(_socket: AppSocket): Promise<void> | void {}

  protected afterDisconnect(_socket: AppSocket): Promise<void> | void {}

  protected afterSubscribe(_socket: AppSocket, _channel: string): Promise<void> | void {}

  protected afterUnsubscribe(_socket: AppSocket, _channel: string): Promise<void> | void {}

  /**
   * After `auth:refresh` swapped the principal: a namespace re-checks every right the socket holds
   * beyond channel subscriptions (which the refresh itself re-checks), against the new claims.
   */
  protected afterRefresh(_socket: AppSocket, _previous: Principal): Promise<void> | void {}
}
