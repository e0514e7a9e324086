import jwt from 'jsonwebtoken';

/** The HMAC secret every test app is configured with. */
export const TEST_JWT_SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

export interface TokenClaims {
  sub?: string;
  companyId?: string;
  branchIds?: string[];
  roles?: string[];
  [claim: string]: unknown;
}

/** Signs a token; defaults to a staff user of acme/b1 valid for an hour. */
export function signToken(claims: TokenClaims = {}, options: jwt.SignOptions = {}, secret: jwt.Secret = TEST_JWT_SECRET): string {
  const payload = { sub: 'user-1', companyId: 'acme', branchIds: ['b1'], roles: ['staff'], ...claims };
  const noExp = 'exp' in claims || options.noTimestamp;
  return jwt.sign(payload, secret, { algorithm: 'HS256', ...(noExp ? {} : { expiresIn: 3600 }), ...options });
}

export const serviceToken = (companyId = 'acme'): string => signToken({ sub: 'svc', companyId, branchIds: [], roles: ['service'] });
export const staffToken = (companyId = 'acme', branchIds = ['b1'], sub = 'user-1'): string =>
  signToken({ sub, companyId, branchIds, roles: ['staff'] });
export const adminToken = (companyId = 'acme', sub = 'admin-1'): string =>
  signToken({ sub, companyId, branchIds: ['*'], roles: ['admin'] });
