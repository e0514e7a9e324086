import { AppError, ErrorCode } from '../common/app.errors';
import { ANY, type Principal } from '../common/principal';

/**
 * The company an HTTP call acts on: the token's own, or (only for platform tokens, companyId
 * "*") the one the request names. A tenant token naming another company is FORBIDDEN.
 */
export function tenantOf(principal: Principal, requested: string | undefined, path = 'companyId'): string {
  if (requested === ANY) {
    const message = 'companyId "*" names no company';
    throw new AppError(ErrorCode.VALIDATION_FAILED, message, [{ path, errors: [message] }]);
  }
  if (principal.companyId === ANY) {
    if (requested === undefined) {
      const message = 'companyId is required with a platform token (companyId "*")';
      throw new AppError(ErrorCode.VALIDATION_FAILED, message, [{ path, errors: [message] }]);
    }
    return requested;
  }
  if (requested !== undefined && requested !== principal.companyId) {
    throw new AppError(ErrorCode.FORBIDDEN, `this token may only act for company ${principal.companyId}`);
  }
  return principal.companyId;
}

/**
 * The company a revocation rule is for. `*` means platform tokens: only a platform admin
 * (companyId "*", role admin) may revoke those, so a tenant, or a platform backend, can never
 * switch off the credentials that run the platform. Anything else is tenantOf.
 */
export function revocationTenantOf(principal: Principal, requested: string | undefined): string {
  if (requested !== ANY) return tenantOf(principal, requested);
  if (principal.companyId !== ANY || !principal.roles.includes('admin')) {
    throw new AppError(ErrorCode.FORBIDDEN, 'only a platform admin (companyId "*", role admin) may revoke platform tokens');
  }
  return ANY;
}
