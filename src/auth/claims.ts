import { AppError, ErrorCode } from '../common/app.errors';
import { isId } from '../common/ids';
import { ANY, PLATFORM_ROLES, ROLES, type Principal, type Role } from '../common/principal';

function invalid(message: string): AppError {
  return new AppError(ErrorCode.AUTH_INVALID, message);
}

export interface ClaimsCheck {
  /** Leeway for `iat` against clock skew, as for exp/nbf (JWT_CLOCK_TOLERANCE_SECONDS). */
  readonly clockToleranceSeconds?: number;
  readonly now?: number;
}

/**
 * Turns a verified JWT payload into a Principal, rejecting anything ambiguous: a claim we do not
 * understand must not silently widen or narrow access, so the token is refused with the reason.
 * jsonwebtoken checks exp and nbf but not iat; an `iat` in the future would put a token out of
 * reach of every revocation (rules reject tokens issued before them), so it is refused here.
 */
export function principalFromClaims(payload: unknown, check: ClaimsCheck = {}): Principal {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw invalid('token payload must be a JSON object');
  }
  const claims = payload as Record<string, unknown>;

  if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) throw invalid('token has no exp claim');
  if (claims.iat !== undefined) {
    if (typeof claims.iat !== 'number' || !Number.isFinite(claims.iat)) throw invalid('iat must be a number (seconds since the epoch)');
    const latest = (check.now ?? Date.now()) / 1000 + (check.clockToleranceSeconds ?? 0);
    if (claims.iat > latest) throw invalid('token issued in the future (iat is later than now)');
  }
  if (typeof claims.sub !== 'string' || claims.sub.length === 0 || claims.sub.length > 256) {
    throw invalid('sub must be a non-empty string of at most 256 characters');
  }

  const roles = claims.roles;
  if (!Array.isArray(roles) || roles.length === 0 || roles.length > ROLES.length) {
    throw invalid(`roles must be a non-empty array of ${ROLES.join(' | ')}`);
  }
  for (const role of roles) {
    if (!(ROLES as readonly unknown[]).includes(role)) {
      throw invalid(`unknown role ${JSON.stringify(role)}; expected ${ROLES.join(' | ')}`);
    }
  }
  const typedRoles = [...new Set(roles as Role[])];

  const companyId = claims.companyId;
  if (companyId === ANY) {
    if (!typedRoles.every((role) => PLATFORM_ROLES.includes(role))) {
      throw invalid(`companyId "*" is reserved for platform tokens, whose roles are ${PLATFORM_ROLES.join(' and/or ')}`);
    }
  } else if (!isId(companyId)) {
    throw invalid('companyId must match [A-Za-z0-9_-]{1,64}');
  }

  const branchIds = claims.branchIds ?? [];
  if (!Array.isArray(branchIds) || branchIds.length > 1000) throw invalid('branchIds must be an array of branch ids');
  const wildcard = branchIds.length === 1 && branchIds[0] === ANY;
  if (!wildcard && !branchIds.every(isId)) {
    throw invalid('branchIds must be ["*"] or ids matching [A-Za-z0-9_-]{1,64}');
  }

  if (claims.jti !== undefined && (typeof claims.jti !== 'string' || claims.jti.length > 256)) {
    throw invalid('jti must be a string of at most 256 characters');
  }

  return {
    id: claims.sub,
    companyId: companyId,
    branchIds: [...(branchIds as string[])],
    roles: typedRoles,
    expiresAt: claims.exp * 1000,
    ...(typeof claims.iat === 'number' ? { issuedAt: claims.iat * 1000 } : {}),
    ...(claims.jti !== undefined ? { jti: claims.jti } : {}),
  };
}
