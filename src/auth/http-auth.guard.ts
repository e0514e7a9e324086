import { Injectable, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { AppError, ErrorCode } from '../common/app.errors';
import { MetricsService } from '../metrics/metrics.service';
import { hasAnyRole, type Principal, type Role } from '../common/principal';
import { bearerOf } from './bearer';
import { claimedCompany } from './handshake-token';
import { JWT_STRATEGY } from './jwt.strategy';
import { PrincipalCache } from './principal-cache';
import { Revocations } from './revocations.service';
import { TokenVerifier } from './token-verifier.service';

const ROLES_KEY = 'switchboard:roles';

/** Roles allowed on an HTTP route; enforced by HttpAuthGuard after the token is verified. */
export const RequireRoles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

type AuthRequest = { url?: string; ip?: string; headers: Record<string, string | undefined>; user?: unknown };

/**
 * Bearer-token authentication for the HTTP API. Passport's failures are mapped onto the same
 * AUTH_* codes the socket handshake uses, so a client sees one taxonomy everywhere. A missing
 * token is decided here, by the extractor passport is given too (bearerOf), so passport only ever
 * fails on a token it has: its errors are jsonwebtoken's typed ones, never recognised by text.
 *
 * passport-jwt verifies a token's first use; the principal it yields is remembered (PrincipalCache),
 * and later requests with the same token skip passport. Revocation and roles are checked on every
 * request either way (handleRequest).
 */
@Injectable()
export class HttpAuthGuard extends AuthGuard(JWT_STRATEGY) {
  constructor(
    private readonly reflector: Reflector,
    private readonly revocations: Revocations,
    private readonly metrics: MetricsService,
    private readonly principals: PrincipalCache,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthRequest>();
    const token = bearerOf(request);
    if (token === undefined) {
      this.refuse(new AppError(ErrorCode.AUTH_MISSING, 'missing Authorization: Bearer <token> header'), context);
    }
    const cached = this.principals.get(token);
    if (cached) {
      request.user = this.handleRequest(null, cached, undefined, context);
      return true;
    }
    const allowed = (await super.canActivate(context)) as boolean;
    if (allowed && request.user) request.user = this.principals.remember(token, request.user as Principal);
    return allowed;
  }

  override handleRequest<TUser = Principal>(err: unknown, user: unknown, info: unknown, context: ExecutionContext): TUser {
    try {
      return this.authenticate<TUser>(err, user, info, context);
    } catch (error) {
      if (error instanceof AppError) this.refuse(error, context);
      throw error;
    }
  }

  /** Counts the refusal (metrics, the admin dashboard's auth failures) and throws it. */
  private refuse(error: AppError, context: ExecutionContext): never {
    const request = context.switchToHttp().getRequest<AuthRequest>();
    this.metrics.recordAuthFailure({
      code: error.code,
      where: (request.url ?? '').split('?')[0],
      ip: request.ip,
      company: claimedCompany(bearerOf(request)),
    });
    throw error;
  }

  private authenticate<TUser>(err: unknown, user: unknown, info: unknown, context: ExecutionContext): TUser {
    if (err) throw TokenVerifier.toAppError(err);
    // With a token in hand, passport fails with jsonwebtoken's error (expired, bad signature…).
    if (!user) throw TokenVerifier.toAppError(info);
    const principal = user as Principal;
    if (this.revocations.isRevoked(principal)) throw new AppError(ErrorCode.REVOKED, 'this token has been revoked');
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [context.getHandler(), context.getClass()]);
    if (roles && !hasAnyRole(principal, roles)) {
      throw new AppError(ErrorCode.FORBIDDEN, `this endpoint needs one of the roles: ${roles.join(', ')}`);
    }
    return principal as TUser;
  }
}
