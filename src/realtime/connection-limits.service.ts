import { Inject, Injectable } from '@nestjs/common';
import type { Socket } from 'socket.io';
import { toConnectError } from '../auth/handshake.middleware';
import { AppError, ErrorCode } from '../common/app.errors';
import { APP_CONFIG, type AppConfig } from '../config';
import { clientIpOf, EngineAdmission } from './engine-admission.service';
import { ProcessCapacity } from './process-capacity.service';
import type { SocketData } from './realtime.events';

/**
 * Caps connections on this process: in all (MAX_CONNECTIONS, see ProcessCapacity), per client IP
 * and per company. Counting locally
 * keeps the handshake free of Redis round trips; behind a load balancer that pins clients (sticky
 * sessions) an IP's connections all land on one process anyway. Refusals are connect_error
 * TOO_MANY_CONNECTIONS. Install it last in the handshake chain: a socket counted here always connects.
 */
@Injectable()
export class ConnectionLimits {
  private readonly perIp = new Map<string, number>();
  private readonly perCompany = new Map<string, number>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly admission: EngineAdmission,
    private readonly capacity: ProcessCapacity,
  ) {}

  middleware() {
    return (socket: Socket, next: (error?: Error) => void): void => {
      const { connectionsPerIp, connectionsPerCompany, trustProxy } = this.config.limits;
      // The handshake's peer address, kept by Engine.IO: a polling session's first request may be closed by now.
      const ip = clientIpOf(socket.handshake.headers, socket.handshake.address, trustProxy);
      const company = (socket.data as SocketData).principal.companyId;
      // Only a session's first namespace: a client already served here may join another.
      if (this.capacity.sessionOverCap && this.admission.isUnauthenticated(socket.conn)) {
        next(toConnectError(new AppError(ErrorCode.TOO_MANY_CONNECTIONS, `this process serves at most ${this.capacity.max} connections`)));
        return;
      }
      if (connectionsPerIp > 0 && (this.perIp.get(ip) ?? 0) >= connectionsPerIp) {
        next(toConnectError(new AppError(ErrorCode.TOO_MANY_CONNECTIONS, `at most ${connectionsPerIp} connections per IP`)));
        return;
      }
      if (connectionsPerCompany > 0 && (this.perCompany.get(company) ?? 0) >= connectionsPerCompany) {
        next(toConnectError(new AppError(ErrorCode.TOO_MANY_CONNECTIONS, `at most ${connectionsPerCompany} connections per company`)));
        return;
      }
      increment(this.perIp, ip, 1);
      increment(this.perCompany, company, 1);
      this.admission.authenticated(socket.conn);
      socket.on('disconnect', this.release);
      next();
    };
  }

  /**
   * The same caps for a connection on a plain transport (SSE, WebSocket): throws
   * TOO_MANY_CONNECTIONS, or counts it until `releaseStream(ip, company)`.
   */
  acquireStream(ip: string, company: string): void {
    const { connectionsPerIp, connectionsPerCompany } = this.config.limits;
    if (!this.capacity.roomForStream) {
      throw new AppError(ErrorCode.TOO_MANY_CONNECTIONS, `this process serves at most ${this.capacity.max} connections`);
    }
    if (connectionsPerIp > 0 && (this.perIp.get(ip) ?? 0) >= connectionsPerIp) {
      throw new AppError(ErrorCode.TOO_MANY_CONNECTIONS, `at most ${connectionsPerIp} connections per IP`);
    }
    if (connectionsPerCompany > 0 && (this.perCompany.get(company) ?? 0) >= connectionsPerCompany) {
      throw new AppError(ErrorCode.TOO_MANY_CONNECTIONS, `at most ${connectionsPerCompany} connections per company`);
    }
    increment(this.perIp, ip, 1);
    increment(this.perCompany, company, 1);
    this.capacity.streamOpened();
  }

  releaseStream(ip: string, company: string): void {
    increment(this.perIp, ip, -1);
    increment(this.perCompany, company, -1);
    this.capacity.streamClosed();
  }

  /**
   * One listener for every socket, not a closure per socket (heap per connection, issue 14). It
   * finds the same IP and company again: the handshake does not change, and a token refresh keeps
   * the company.
   */
  private readonly release = ((limits: ConnectionLimits) =>
    function (this: Socket): void {
      const ip = clientIpOf(this.handshake.headers, this.handshake.address, limits.config.limits.trustProxy);
      increment(limits.perIp, ip, -1);
      increment(limits.perCompany, (this.data as SocketData).principal.companyId, -1);
    })(this);
}

function increment(counts: Map<string, number>, key: string, by: number): void {
  const next = (counts.get(key) ?? 0) + by;
  if (next <= 0) counts.delete(key);
  else counts.set(key, next);
}
