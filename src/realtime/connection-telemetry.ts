import { Logger } from '@nestjs/common';
import type { Socket } from 'socket.io';
import type { Principal } from '../common/principal';
import { claimedCompanyOfHandshake } from '../auth/handshake-token';
import type { MetricsService } from '../metrics/metrics.service';

/** connect_error codes that mean "who you are" was refused, as opposed to a limit. */
const AUTH_CODES = new Set(['AUTH_MISSING', 'AUTH_INVALID', 'AUTH_EXPIRED', 'FORBIDDEN', 'REVOKED']);
const logger = new Logger('Handshake');

type Middleware = (socket: Socket, next: (error?: Error) => void) => void;

/** Who and where a connection is, for logs. Never the token, never a payload. */
export function connectionFields(socket: Socket, namespace: string): Record<string, unknown> {
  const principal = (socket.data as { principal?: Principal }).principal;
  const forwardedFor = socket.handshake.headers['x-forwarded-for'];
  return {
    namespace,
    sessionId: socket.id,
    user: principal?.id,
    company: principal?.companyId,
    ip: socket.handshake.address,
    ...(forwardedFor ? { forwardedFor } : {}),
    transport: socket.conn.transport.name,
  };
}

/**
 * Wraps a handshake middleware so every refusal is counted by code (and auth refusals are
 * logged and kept for the admin dashboard) without the middleware knowing about telemetry.
 */
export function observeRefusals(namespace: string, metrics: MetricsService): (middleware: Middleware) => Middleware {
  return (middleware) => (socket, next) =>
    middleware(socket, (error) => {
      if (error) {
        const code = error.message;
        metrics.handshakes.inc({ namespace, outcome: code });
        if (AUTH_CODES.has(code)) {
          metrics.recordAuthFailure({
            code,
            where: namespace,
            ip: socket.handshake.address,
            company: claimedCompanyOfHandshake(socket.handshake),
          });
          logger.warn({
            msg: 'handshake refused',
            code,
            namespace,
            ip: socket.handshake.address,
            reason: (error as { data?: { message?: string } }).data?.message,
          });
        }
      }
      next(error);
    });
}
