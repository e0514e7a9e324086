import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { Server } from 'socket.io';
import { ErrorCode } from '../common/app.errors';
import { APP_CONFIG, type AppConfig } from '../config';

/** The parts of an Engine.IO socket we read; engine.io does not export these types. */
interface EngineSocket {
  readonly request: IncomingMessage;
  /** The peer address, kept by Engine.IO from the handshake. */
  readonly remoteAddress: string;
  on(event: 'close', listener: (this: EngineSocket) => void): void;
}

interface PerIp {
  sessions: number;
  unauthenticated: number;
}

/** Sessions past CONNECTIONS_PER_IP still admitted, so that their namespace connect gets the typed refusal. */
export function sessionHeadroom(connectionsPerIp: number): number {
  return Math.max(10, Math.ceil(connectionsPerIp / 5));
}

/** The client IP: the peer address, or the first X-Forwarded-For hop behind a trusted proxy. */
export function clientIpOf(headers: IncomingMessage['headers'], peer: string | undefined, trustProxy: boolean): string {
  const forwarded = headers['x-forwarded-for'];
  if (trustProxy && typeof forwarded === 'string' && forwarded.length > 0) return forwarded.split(',')[0].trim();
  return peer ?? '';
}

/** The client IP of a request whose connection is still open (a handshake being admitted). */
export function requestIp(request: IncomingMessage, trustProxy: boolean): string {
  return clientIpOf(request.headers, request.socket.remoteAddress, trustProxy);
}

/**
 * Admission of Engine.IO sessions per client IP, decided in `allowRequest`: before a session,
 * its timers or a JWT verification exist, so refusing a storm costs an HTTP 403 (whose body or
 * upgrade answer names TOO_MANY_CONNECTIONS) and nothing else. Two bounds per IP:
 * - sessions: CONNECTIONS_PER_IP plus a headroom, so the first few over the socket cap still
 *   reach the namespace and get the typed connect_error TOO_MANY_CONNECTIONS;
 * - unauthenticated sessions (open, no namespace joined yet): UNAUTHENTICATED_SESSIONS_PER_IP.
 */
@Injectable()
export class EngineAdmission {
  private readonly perIp = new Map<string, PerIp>();
  private readonly pending = new WeakMap<EngineSocket, string>();
  readonly refused = { sessions: 0, unauthenticated: 0 };

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  private get sessionCap(): number {
    const { connectionsPerIp } = this.config.limits;
    return connectionsPerIp === 0 ? 0 : connectionsPerIp + sessionHeadroom(connectionsPerIp);
  }

  /** A refusal message for a new session's handshake request, or undefined to admit it. */
  admit(request: IncomingMessage): string | undefined {
    const counts = this.perIp.get(requestIp(request, this.config.limits.trustProxy));
    if (!counts) return undefined;
    const { unauthenticatedPerIp } = this.config.limits;
    if (this.sessionCap > 0 && counts.sessions >= this.sessionCap) {
      this.refused.sessions += 1;
      return ErrorCode.TOO_MANY_CONNECTIONS;
    }
    if (unauthenticatedPerIp > 0 && counts.unauthenticated >= unauthenticatedPerIp) {
      this.refused.unauthenticated += 1;
      return ErrorCode.TOO_MANY_CONNECTIONS;
    }
    return undefined;
  }

  install(server: Server): void {
    server.engine.on('connection', (conn: EngineSocket) => {
      const ip = clientIpOf(conn.request.headers, conn.remoteAddress, this.config.limits.trustProxy);
      const counts = this.perIp.get(ip) ?? { sessions: 0, unauthenticated: 0 };
      counts.sessions += 1;
      counts.unauthenticated += 1;
      this.perIp.set(ip, counts);
      this.pending.set(conn, ip);
      conn.on('close', this.closed);
    });
  }

  /**
   * One listener for every session, not a closure per session (heap per connection, issue 14):
   * the IP is found again from the same request headers and peer address.
   */
  private readonly closed = ((admission: EngineAdmission) =>
    function (this: EngineSocket): void {
      const ip = clientIpOf(this.request.headers, this.remoteAddress, admission.config.limits.trustProxy);
      const counts = admission.perIp.get(ip);
      if (!counts) return;
      if (admission.pending.delete(this)) counts.unauthenticated -= 1;
      counts.sessions -= 1;
      if (counts.sessions === 0) admission.perIp.delete(ip);
    })(this);

  /** No namespace admitted a socket on this session yet (its next namespace connect is its first). */
  isUnauthenticated(conn: unknown): boolean {
    return this.pending.has(conn as EngineSocket);
  }

  /** A namespace admitted a socket on this session: it no longer counts as unauthenticated. */
  authenticated(conn: unknown): void {
    const ip = this.pending.get(conn as EngineSocket);
    if (ip === undefined) return;
    this.pending.delete(conn as EngineSocket);
    const counts = this.perIp.get(ip);
    if (counts) counts.unauthenticated -= 1;
  }
}
