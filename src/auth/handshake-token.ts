import { decode } from 'jsonwebtoken';
import { AppError, ErrorCode } from '../common/app.errors';
import { BEARER_HEADER } from './bearer';

/** The parts of a Socket.IO handshake we read; kept structural so unit tests need no server. */
export interface HandshakeLike {
  readonly auth: Record<string, unknown>;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly query: Readonly<Record<string, unknown>>;
}

const QUERY_TOKEN_KEYS = ['token', 'access_token', 'jwt', 'auth'];

/**
 * Finds the token in `auth.token` or `Authorization: Bearer`. A token in the query string is
 * refused on purpose: URLs end up in proxy and access logs, so accepting one would leak it.
 */
export function extractHandshakeToken(handshake: HandshakeLike): string {
  const fromAuth = handshake.auth?.token;
  if (fromAuth !== undefined) {
    if (typeof fromAuth !== 'string' || fromAuth.length === 0) {
      throw new AppError(ErrorCode.AUTH_INVALID, 'auth.token must be a non-empty string');
    }
    return fromAuth;
  }
  const header = handshake.headers.authorization;
  if (typeof header === 'string') {
    const match = BEARER_HEADER.exec(header);
    if (!match) throw new AppError(ErrorCode.AUTH_INVALID, 'Authorization header must be "Bearer <token>"');
    return match[1];
  }
  if (QUERY_TOKEN_KEYS.some((key) => handshake.query?.[key] !== undefined)) {
    throw new AppError(
      ErrorCode.AUTH_MISSING,
      'tokens in the query string are not accepted; send it as auth.token or an Authorization: Bearer header',
    );
  }
  throw new AppError(ErrorCode.AUTH_MISSING, 'no token: send it as auth.token or an Authorization: Bearer header');
}

/**
 * The company a (possibly invalid) token claims, read without verifying it: only to show a
 * refused connection to that company's admins. Never used to grant anything.
 */
export function claimedCompany(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const claims = decode(token, { json: true });
  const company: unknown = claims?.companyId;
  return typeof company === 'string' && /^[\w-]{1,64}$/.test(company) ? company : undefined;
}

/** claimedCompany of whatever token a handshake carries, if any. */
export function claimedCompanyOfHandshake(handshake: HandshakeLike): string | undefined {
  try {
    return claimedCompany(extractHandshakeToken(handshake));
  } catch {
    return undefined;
  }
}
