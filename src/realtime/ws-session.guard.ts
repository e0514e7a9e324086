import { Inject, SetMetadata, type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Role } from '../common/principal';
import { AppError, ErrorCode } from '../common/app.errors';
import { Revocations } from '../auth/revocations.service';
import { APP_CONFIG, type AppConfig } from '../config';
import type { AppSocket } from './subscription.service';

const COMMAND_ROLES = 'switchboard:command-roles';

/**
 * The roles that may send this command (any one of them). Without it, every role the namespace
 * admits may: the handshake already checked those.
 */
export const CommandRoles = (...roles: Role[]): MethodDecorator => SetMetadata(COMMAND_ROLES, roles);

/**
 * Runs before every message handler of a namespace gateway. Authentication stays in the handshake
 * middleware (guards do not run on connect); this guard re-checks, per message, what can change
 * after it: the token's lifetime (past `exp` + TOKEN_GRACE_SECONDS the socket is about to be ended,
 * and must not act meanwhile), a revocation, and the command's own role rule. Refusals are the
 * taxonomy's codes in the ack: AUTH_EXPIRED, REVOKED, FORBIDDEN.
 */
@Injectable()
export class WsSessionGuard implements CanActivate {
  private readonly graceMs: number;

  constructor(
    private readonly reflector: Reflector,
    private readonly revocations: Revocations,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.graceMs = config.jwt.graceSeconds * 1000;
  }

  canActivate(context: ExecutionContext): boolean {
    const socket = context.switchToWs().getClient<AppSocket>();
    const principal = socket.data.principal;
    if (Date.now() >= principal.expiresAt + this.graceMs) {
      throw new AppError(ErrorCode.AUTH_EXPIRED, 'the token expired and was not refreshed');
    }
    if (this.revocations.isRevoked(principal)) throw new AppError(ErrorCode.REVOKED, 'this token has been revoked');
    const roles = this.reflector.get<Role[] | undefined>(COMMAND_ROLES, context.getHandler());
    if (roles && !roles.some((role) => principal.roles.includes(role))) {
      const event = context.switchToWs().getPattern();
      throw new AppError(ErrorCode.FORBIDDEN, `${event} is for ${roles.join(' or ')} tokens only`);
    }
    return true;
  }
}
