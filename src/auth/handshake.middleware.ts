import type { Socket } from 'socket.io';
import { AppError, ErrorCode, INTERNAL_ERROR_BODY, type ErrorBody } from '../common/app.errors';
import { hasAnyRole, isPlatform, type Principal, type Role } from '../common/principal';
import { extractHandshakeToken } from './handshake-token';
import type { Revocations } from './revocations.service';
import type { TokenVerifier } from './token-verifier.service';

/** The error a Socket.IO client sees as `connect_error`: `message` is the code, `data` the full body. */
export type ConnectError = Error & { data: ErrorBody };

export function toConnectError(error: unknown): ConnectError {
  const body = error instanceof AppError ? error.toBody() : INTERNAL_ERROR_BODY;
  return Object.assign(new Error(body.code), { data: body });
}

/**
 * Authenticates at the handshake, before the connection is accepted (guards do not run on
 * connection; nestjs/nest#882). On success the principal is on `socket.data.principal`.
 */
export function handshakeAuth(
  verifier: TokenVerifier,
  revocations: Revocations,
  namespace: string,
  allowedRoles: readonly Role[],
  admit: (principal: Principal) => string | undefined = () => undefined,
) {
  return (socket: Socket, next: (error?: Error) => void): void => {
    let principal: Principal;
    try {
      principal = verifier.verify(extractHandshakeToken(socket.handshake));
      if (revocations.isRevoked(principal)) throw new AppError(ErrorCode.REVOKED, 'this token has been revoked');
      admitToNamespace(principal, namespace, allowedRoles, admit);
    } catch (error) {
      next(toConnectError(error));
      return;
    }
    (socket.data as { principal?: Principal }).principal = principal;
    next();
  };
}

/**
 * May this principal use a namespace at all (every transport asks it): a tenant token, one of
 * the namespace's roles, and its extra admission rule. Throws FORBIDDEN with the reason.
 */
export function admitToNamespace(
  principal: Principal,
  namespace: string,
  allowedRoles: readonly Role[],
  admit: (principal: Principal) => string | undefined = () => undefined,
): void {
  // Every socket lives in one company's channels; a token for all of them has no place here.
  if (isPlatform(principal)) {
    throw new AppError(ErrorCode.FORBIDDEN, 'platform tokens (companyId "*") are for the HTTP API; a socket needs a token for one company');
  }
  if (!hasAnyRole(principal, allowedRoles)) {
    throw new AppError(
      ErrorCode.FORBIDDEN,
      `roles [${principal.roles.join(', ')}] may not connect to ${namespace}; allowed: ${allowedRoles.join(', ')}`,
    );
  }
  const refusal = admit(principal);
  if (refusal !== undefined) throw new AppError(ErrorCode.FORBIDDEN, refusal);
}
