import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config';
import type { Socket } from 'socket.io';
import { hasAnyRole, type Principal } from '../common/principal';
import { matches, Revocations, type RevocationRule } from '../auth/revocations.service';
import { isKicked, SessionKicks, type KickRule } from '../auth/session-kicks.service';
import { TokenVerifier } from '../auth/token-verifier.service';
import { tryParseChannel } from '../channels/channel-name';
import { canSubscribe } from '../channels/channel-policy';
import { channelRef } from '../channels/channel-ref';
import { AppError, ErrorCode } from '../common/app.errors';
import { DeadlineSchedule } from '../common/deadline-schedule';
import { SocketDirectory } from './socket-directory';
import type { NamespaceDefinition } from './namespace.registry';
import { RealtimeEvent, type AuthExpiringPayload, type RefreshAck, type SocketData } from './realtime.events';
import { endSession } from './session-end';

/** `auth:expiring` goes out this long before `exp`. */
export const EXPIRING_NOTICE_SECONDS = 60;

/**
 * A socket's token over its lifetime: `auth:expiring` 60 s before `exp`, disconnection with
 * AUTH_EXPIRED at `exp` + TOKEN_GRACE_SECONDS (30) unless `auth:refresh` brought a newer token for the same user and
 * company, and disconnection with REVOKED (on every node) when a revocation matches.
 *
 * Both deadlines of every socket live on one shared schedule (one timer), not on two timers per
 * socket; they fire at most a second late, never early (docs/protocol.md).
 */
@Injectable()
export class SessionTokens implements OnModuleInit, OnModuleDestroy {
  /**
   * One entry per socket, at its next deadline: the notice, then (from the notice) the end. Two
   * schedules cost every handshake a second entry and every disconnect a second removal (issue 14,
   * handshakes/s).
   */
  private readonly deadlines = new DeadlineSchedule<Socket>((socket) => this.due(socket));

  constructor(
    private readonly verifier: TokenVerifier,
    private readonly revocations: Revocations,
    private readonly kicks: SessionKicks,
    private readonly directory: SocketDirectory,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.revocations.onRevoke((rule) => this.disconnectMatching(rule));
    this.kicks.onKick((rule) => this.disconnectKicked(rule));
  }

  onModuleDestroy(): void {
    this.deadlines.close();
  }

  track(socket: Socket): void {
    const { expiresAt } = (socket.data as SocketData).principal;
    this.deadlines.set(socket, expiresAt - EXPIRING_NOTICE_SECONDS * 1000);
  }

  untrack(socket: Socket): void {
    this.deadlines.delete(socket);
  }

  /** The notice (then the end is scheduled), or, past the end, the disconnection. */
  private due(socket: Socket): void {
    const { expiresAt } = (socket.data as SocketData).principal;
    const end = expiresAt + this.config.jwt.graceSeconds * 1000;
    if (Date.now() >= end) {
      endSession(socket, ErrorCode.AUTH_EXPIRED, 'token expired and was not refreshed');
      return;
    }
    const payload: AuthExpiringPayload = { expiresAt, graceSeconds: this.config.jwt.graceSeconds };
    socket.emit(RealtimeEvent.AUTH_EXPIRING, payload);
    this.deadlines.set(socket, end);
  }

  /**
   * Swaps in a newer token for the same user and company. Channels the new claims no longer
   * allow are left (and returned), so narrowing a user's access takes effect without a reconnect.
   */
  refresh(socket: Socket, namespace: NamespaceDefinition, token: string): RefreshAck {
    const data = socket.data as SocketData;
    const next = this.verifyRefresh(data.principal, namespace, token);
    data.principal = next;
    const dropped: string[] = [];
    for (const name of [...data.subscriptions]) {
      const channel = tryParseChannel(name);
      if (channel && canSubscribe(next, channel)) continue;
      data.subscriptions.delete(name);
      dropped.push(name);
      void socket.leave(channelRef(next.companyId, namespace.name, name).key);
    }
    this.track(socket);
    return { ok: true, expiresAt: next.expiresAt, dropped };
  }

  /**
   * The principal of a refresh token, on any transport: the same user and company, a later
   * expiry, not revoked, and still admitted to the namespace. Throws the typed refusal.
   */
  verifyRefresh(current: Principal, namespace: NamespaceDefinition, token: string): Principal {
    const next: Principal = this.verifier.verify(token);
    if (next.id !== current.id || next.companyId !== current.companyId) {
      throw new AppError(ErrorCode.FORBIDDEN, 'a refresh token must be for the same user and company');
    }
    if (next.expiresAt <= current.expiresAt)
      throw new AppError(ErrorCode.AUTH_INVALID, 'the new token must expire later than the current one');
    if (this.revocations.isRevoked(next)) throw new AppError(ErrorCode.REVOKED, 'this token has been revoked');
    if (!hasAnyRole(next, namespace.roles) || namespace.admit?.(next) !== undefined) {
      throw new AppError(ErrorCode.FORBIDDEN, `the new token may not use /${namespace.name}`);
    }
    return next;
  }

  private disconnectKicked(rule: KickRule): void {
    for (const name of this.directory.namespaceNames()) {
      for (const socket of this.directory.namespace(name)?.sockets.values() ?? []) {
        if (isKicked(rule, (socket.data as SocketData).principal, socket.handshake.issued)) {
          endSession(socket, ErrorCode.KICKED, 'an admin ended this session');
        }
      }
    }
  }

  private disconnectMatching(rule: RevocationRule): void {
    for (const name of this.directory.namespaceNames()) {
      for (const socket of this.directory.namespace(name)?.sockets.values() ?? []) {
        if (matches(rule, (socket.data as SocketData).principal)) endSession(socket, ErrorCode.REVOKED, 'this token has been revoked');
      }
    }
  }
}
