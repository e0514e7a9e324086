import { AppError, ErrorCode } from '../common/app.errors';
import { ANY, type Principal } from './claims';

/**
 * The company an HTTP call acts on: the token's own, or (only for platform tokens, companyId
 * "*") the one the request names. A tenant token naming another company is FORBIDDEN.
 */
export function tenantOf(principal: Principal, requested: string | undefined, path = 'companyId'): string {
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
