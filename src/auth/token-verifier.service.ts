import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import jwt, { type VerifyOptions } from 'jsonwebtoken';
import { AppError, ErrorCode } from '../common/app.errors';
import { APP_CONFIG, type AppConfig } from '../config';
import type { JwtKey } from '../config/config.types';
import type { Principal } from '../common/principal';
import { principalFromClaims } from './claims';
import { PrincipalCache } from './principal-cache';

/** Tokens longer than this are refused before any crypto runs (a cheap guard against oversized handshakes). */
export const MAX_TOKEN_LENGTH = 8192;

/**
 * The single place that decides whether a JWT is acceptable, shared by the socket handshake and
 * the HTTP passport strategy. With a JWKS (key rotation) the token's `kid` picks the key, and each
 * key only verifies its own algorithms, so an algorithm-confusion token never meets a key it fits.
 */
@Injectable()
export class TokenVerifier {
  readonly verifyOptions: VerifyOptions & { algorithms: jwt.Algorithm[] };
  private readonly keys: readonly JwtKey[];
  /**
   * Each key parsed once. Given a string, jsonwebtoken parses it on every verify (for an HMAC
   * secret: a failed public-key parse, then a secret key): measured as 17 % of the CPU of a
   * publish-heavy run. Handshakes and HTTP requests both verify, so this is a hot path.
   */
  private readonly keyObjects = new Map<JwtKey, KeyObject>();

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly cache: PrincipalCache,
  ) {
    this.keys = config.jwt.keys;
    for (const key of this.keys) {
      const symmetric = key.algorithms.every((algorithm) => algorithm.startsWith('HS'));
      this.keyObjects.set(key, symmetric ? createSecretKey(Buffer.from(key.key, 'utf8')) : createPublicKey(key.key));
    }
    this.verifyOptions = {
      algorithms: [...config.jwt.algorithms],
      clockTolerance: config.jwt.clockToleranceSeconds,
      ...(config.jwt.issuer !== undefined ? { issuer: config.jwt.issuer } : {}),
      ...(config.jwt.audience !== undefined ? { audience: [...config.jwt.audience] as [string, ...string[]] } : {}),
    };
  }

  /**
   * Verifies signature, algorithm, exp/nbf, iss/aud and our claims; throws AppError with an AUTH_*
   * code. A token that verified before and has not expired is answered from the cache.
   */
  verify(token: string): Principal {
    return this.cache.get(token) ?? this.cache.remember(token, this.verifyUncached(token));
  }

  private verifyUncached(token: string): Principal {
    const key = this.keyFor(token);
    let payload: unknown;
    try {
      payload = jwt.verify(token, this.keyObjectOf(key), { ...this.verifyOptions, algorithms: [...key.algorithms] });
    } catch (error) {
      throw TokenVerifier.toAppError(error);
    }
    return principalFromClaims(payload, { clockToleranceSeconds: this.verifyOptions.clockTolerance });
  }

  /** The parsed key a token must verify with (see keyFor). */
  keyObjectFor(token: string): KeyObject {
    return this.keyObjectOf(this.keyFor(token));
  }

  private keyObjectOf(key: JwtKey): KeyObject {
    return this.keyObjects.get(key) as KeyObject;
  }

  /** The key a token must verify with: the only one, or the one its `kid` names. */
  keyFor(token: string): JwtKey {
    if (token.length > MAX_TOKEN_LENGTH) {
      throw new AppError(ErrorCode.AUTH_INVALID, `token is longer than ${MAX_TOKEN_LENGTH} characters`);
    }
    if (this.keys.length === 1 && this.keys[0].kid === undefined) return this.keys[0];
    const header = (jwt.decode(token, { complete: true }) as { header?: { kid?: unknown } } | null)?.header;
    if (!header) throw new AppError(ErrorCode.AUTH_INVALID, 'token rejected: jwt malformed');
    if (typeof header.kid !== 'string')
      throw new AppError(ErrorCode.AUTH_INVALID, 'token has no kid; the server verifies with several keys');
    const key = this.keys.find((candidate) => candidate.kid === header.kid);
    if (!key) throw new AppError(ErrorCode.AUTH_INVALID, 'unknown key id (kid)');
    return key;
  }

  /** Maps jsonwebtoken's errors onto our codes; messages never contain the token itself. */
  static toAppError(error: unknown): AppError {
    if (error instanceof AppError) return error;
    if (error instanceof jwt.TokenExpiredError) return new AppError(ErrorCode.AUTH_EXPIRED, 'token expired');
    if (error instanceof jwt.NotBeforeError) return new AppError(ErrorCode.AUTH_INVALID, 'token not active yet (nbf)');
    if (error instanceof jwt.JsonWebTokenError) return new AppError(ErrorCode.AUTH_INVALID, `token rejected: ${error.message}`);
    return new AppError(ErrorCode.AUTH_INVALID, 'token rejected');
  }
}
