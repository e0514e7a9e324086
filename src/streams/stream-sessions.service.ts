import cluster from 'node:cluster';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Principal } from '../common/principal';
import { admitToNamespace } from '../auth/handshake.middleware';
import { matches, Revocations, type RevocationRule } from '../auth/revocations.service';
import { isKicked, SessionKicks } from '../auth/session-kicks.service';
import type { Position } from '../bus/envelope';
import type { ChannelRef } from '../channels/channel-ref';
import { AppError, ErrorCode } from '../common/app.errors';
import { DeadlineSchedule } from '../common/deadline-schedule';
import { APP_CONFIG, type AppConfig } from '../config';
import { STREAMS_MESSAGE } from '../lifecycle/cluster-messages';
import { MetricsService } from '../metrics/metrics.service';
import type { ChannelMember } from '../realtime/channel-members';
import { ConnectionLimits } from '../realtime/connection-limits.service';
import { SocketDirectory } from '../realtime/socket-directory';
import { sessionLimitsOf } from '../realtime/session-limits';
import { NamespaceRegistry, type NamespaceDefinition } from '../realtime/namespace.registry';
import {
  RealtimeEvent,
  type AuthExpiringPayload,
  type SessionLimits,
  type SessionPayload,
  type SubscribeAck,
} from '../realtime/realtime.events';
import { EXPIRING_NOTICE_SECONDS } from '../realtime/session-tokens.service';
import { SubscriptionService } from '../realtime/subscription.service';
import { WS_MISSED_PINGS } from '../realtime/heartbeat';
import type { StreamHost, StreamSession, Transport } from './stream-session';

/** Spread of the reconnects a shutdown asks for, so that a node's streams do not all return at once. */
const DRAIN_SPREAD_MS = 5000;

/**
 * Every plain-transport session (SSE, WebSocket) on this process, and what they share with
 * Socket.IO sockets: namespace admission, the connection limits, the token's deadlines
 * (`auth:expiring`, then AUTH_EXPIRED), revocations, subscribe through SubscriptionService,
 * and `server:draining` at shutdown.
 */
@Injectable()
export class StreamSessions implements StreamHost, OnModuleInit, OnModuleDestroy {
  private readonly sessions = new Set<StreamSession>();
  /** Each session at its next token deadline: the notice, then (from the notice) the end. */
  private readonly deadlines = new DeadlineSchedule<StreamSession>((session) => this.due(session));
  private closing = false;
  private heartbeats: NodeJS.Timeout | undefined;
  readonly maxBufferedBytes: number;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registry: NamespaceRegistry,
    private readonly directory: SocketDirectory,
    private readonly subscriptions: SubscriptionService,
    private readonly connections: ConnectionLimits,
    private readonly revocations: Revocations,
    private readonly kicks: SessionKicks,
    private readonly metrics: MetricsService,
  ) {
    this.maxBufferedBytes = config.limits.slowConsumerBytes;
    metrics.provide({ streamConnections: () => this.counts() });
  }

  onModuleInit(): void {
    this.revocations.onRevoke((rule) => this.endMatching(rule));
    this.kicks.onKick((rule) => {
      for (const session of [...this.sessions]) {
        if (isKicked(rule, session.principal, session.openedAt)) session.end(ErrorCode.KICKED, 'an admin ended this session');
      }
    });
    // One timer for every session's heartbeat, not one per connection.
    this.heartbeats = setInterval(() => {
      const now = Date.now();
      for (const session of this.sessions) session.heartbeat(now);
    }, this.config.limits.streamHeartbeatSeconds * 1000);
    this.heartbeats.unref();
  }

  /** Shutdown (the earliest hook): every stream is told when to come back, then closed. */
  onModuleDestroy(): void {
    this.closing = true;
    clearInterval(this.heartbeats);
    this.deadlines.close();
    for (const session of [...this.sessions]) session.drain(Math.floor(Math.random() * DRAIN_SPREAD_MS));
  }

  get open(): number {
    return this.sessions.size;
  }

  /**
   * May this principal open a stream on this namespace: it exists and is served on plain
   * transports, the token is a tenant token with one of its roles, and the limits allow another
   * connection. Throws the typed refusal. The connection is counted until the session ends.
   */
  admit(namespaceName: unknown, principal: Principal, ip: string): NamespaceDefinition {
    if (this.closing) throw new AppError(ErrorCode.UNAVAILABLE, 'this server is shutting down; reconnect', undefined, 1);
    const name = typeof namespaceName === 'string' ? namespaceName.replace(/^\//, '') : '';
    const namespace = this.registry.get(name);
    if (!namespace?.plainTransports) {
      const served = this.registry
        .names()
        .filter((n) => this.registry.get(n)?.plainTransports)
        .map((n) => `/${n}`);
      throw new AppError(ErrorCode.VALIDATION_FAILED, `namespace must be one of ${served.join(', ')} (the others need Socket.IO)`, [
        { path: 'namespace', errors: ['not served on this transport'] },
      ]);
    }
    if (this.revocations.isRevoked(principal)) throw new AppError(ErrorCode.REVOKED, 'this token has been revoked');
    admitToNamespace(principal, `/${namespace.name}`, namespace.roles, namespace.admit);
    this.connections.acquireStream(ip, principal.companyId);
    return namespace;
  }

  /** An admitted connection that did not become a session after all: uncount it. */
  unadmit(ip: string, principal: Principal): void {
    this.connections.releaseStream(ip, principal.companyId);
  }

  /** Starts tracking an admitted session (counted by admit()). */
  add(session: StreamSession): void {
    this.sessions.add(session);
    this.track(session);
    this.metrics.streamSessions.inc({ transport: session.transport, outcome: 'opened' });
    this.reportCount();
  }

  /** Re-reads the token's deadlines (after a WebSocket `auth:refresh`). */
  track(session: StreamSession): void {
    this.deadlines.set(session, session.principal.expiresAt - EXPIRING_NOTICE_SECONDS * 1000);
  }

  /** The `session` payload, as a Socket.IO socket gets it. */
  sessionPayload(session: StreamSession): SessionPayload {
    const { principal } = session;
    return {
      sessionId: session.id,
      namespace: `/${session.namespace.name}`,
      node: this.config.nodeId,
      user: { id: principal.id, companyId: principal.companyId, branchIds: principal.branchIds, roles: principal.roles },
      limits: this.limits(session),
      tokenExpiresAt: principal.expiresAt,
      serverTime: Date.now(),
    };
  }

  /** Subscribes a session through the one subscribe path (policy, limit, replay-then-join). */
  async subscribe(session: StreamSession, channel: string, since: Position | undefined): Promise<SubscribeAck> {
    return this.subscriptions.subscribeTarget(session.target(), session.namespace, since ? { channel, since } : { channel });
  }

  join(ref: ChannelRef, member: ChannelMember): void {
    this.directory.addMember(ref, member);
  }

  leave(ref: ChannelRef, member: ChannelMember): void {
    this.directory.removeMember(ref, member);
  }

  ended(session: StreamSession, reason: string): void {
    if (!this.sessions.delete(session)) return;
    this.deadlines.delete(session);
    this.connections.releaseStream(session.ip, session.principal.companyId);
    this.metrics.streamSessions.inc({ transport: session.transport, outcome: reason === 'client' ? 'closed' : reason });
    this.reportCount();
  }

  /** In the sticky cluster: the primary's balancer counts these beside Engine.IO sessions. */
  private reportCount(): void {
    if (cluster.isWorker && process.connected) process.send?.({ type: STREAMS_MESSAGE, count: this.sessions.size });
  }

  /**
   * The namespace's Socket.IO limits, with the transport's own dead-peer rule: an SSE stream sends
   * nothing after its request (no message budget, and no inbound silence to judge); a plain
   * WebSocket is closed after WS_MISSED_PINGS unanswered pings.
   */
  private limits(session: StreamSession): SessionLimits {
    const limits = sessionLimitsOf(session.namespace, this.config);
    return session.transport === 'sse'
      ? { ...limits, messagesPerSecond: 0, burst: 0, idleTimeoutSeconds: 0 }
      : { ...limits, idleTimeoutSeconds: WS_MISSED_PINGS * this.config.limits.streamHeartbeatSeconds };
  }

  private due(session: StreamSession): void {
    const { expiresAt } = session.principal;
    const end = expiresAt + this.config.jwt.graceSeconds * 1000;
    if (Date.now() >= end) {
      session.end(ErrorCode.AUTH_EXPIRED, 'token expired and was not refreshed');
      return;
    }
    const payload: AuthExpiringPayload = { expiresAt, graceSeconds: this.config.jwt.graceSeconds };
    session.send(RealtimeEvent.AUTH_EXPIRING, payload);
    this.deadlines.set(session, end);
  }

  private endMatching(rule: RevocationRule): void {
    for (const session of [...this.sessions]) {
      if (matches(rule, session.principal)) session.end(ErrorCode.REVOKED, 'this token has been revoked');
    }
  }

  private counts(): { transport: Transport; namespace: string; count: number }[] {
    const counts = new Map<string, { transport: Transport; namespace: string; count: number }>();
    for (const session of this.sessions) {
      const key = `${session.transport}/${session.namespace.name}`;
      const entry = counts.get(key);
      if (entry) entry.count += 1;
      else counts.set(key, { transport: session.transport, namespace: `/${session.namespace.name}`, count: 1 });
    }
    return [...counts.values()];
  }
}
