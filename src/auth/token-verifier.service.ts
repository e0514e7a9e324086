import { Inject, Injectable } from '@nestjs/common';
import jwt, { type VerifyOptions } from 'jsonwebtoken';
import { AppError, ErrorCode } from '../common/app.errors';
import { APP_CONFIG, type AppConfig } from '../config';
import { principalFromClaims, type Principal } from './claims';

/** Tokens longer than this are refused before any crypto runs (a cheap guard against oversized handshakes). */
export const MAX_TOKEN_LENGTH = 8192;

/**
 * The single place that decides whether a JWT is acceptable, shared by the socket handshake
 * and (through the same options) the HTTP passport strategy.
 */
@Injectable()
export class TokenVerifier {
  readonly verifyOptions: VerifyOptions & { algorithms: jwt.Algorithm[] };
  readonly key: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.key = config.jwt.key;
    this.verifyOptions = {
      algorithms: [...config.jwt.algorithms],
      clockTolerance: config.jwt.clockToleranceSeconds,
      ...(config.jwt.issuer !== undefined ? { issuer: config.jwt.issuer } : {}),
      ...(config.jwt.audience !== undefined ? { audience: [...config.jwt.audience] as [string, ...string[]] } : {}),
    };
  }

  /** Verifies signature, algorithm, exp/nbf, iss/aud and our claims; throws AppError with an AUTH_* code. */
  verify(token: string): Principal {
    if (token.length > MAX_TOKEN_LENGTH) {
      throw new AppError(ErrorCode.AUTH_INVALID, `token is longer than ${MAX_TOKEN_LENGTH} characters`);
    }
    let payload: unknown;
    try {
      payload = jwt.verify(token, this.key, this.verifyOptions);
    } catch (error) {
      throw TokenVerifier.toAppError(error);
    }
    return principalFromClaims(payload);
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
