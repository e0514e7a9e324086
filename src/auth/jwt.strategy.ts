import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-jwt';
import type { Principal } from '../common/principal';
import { bearerOf } from './bearer';
import { principalFromClaims } from './claims';
import { TokenVerifier } from './token-verifier.service';

export const JWT_STRATEGY = 'switchboard-jwt';

/** HTTP authentication through passport-jwt, with the same key and options as the socket handshake. */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, JWT_STRATEGY) {
  constructor(private readonly verifier: TokenVerifier) {
    super({
      // The guard's own extractor: it has already refused a request without a token (AUTH_MISSING).
      jwtFromRequest: (request: Parameters<typeof bearerOf>[0]) => bearerOf(request) ?? null,
      // The same key choice as the handshake (a JWKS `kid` picks the key).
      secretOrKeyProvider: (_request: unknown, rawJwt: string, done: (error: unknown, key?: string | Buffer) => void) => {
        try {
          // A parsed KeyObject (passport-jwt hands it to jsonwebtoken as is); its typings say string.
          done(null, verifier.keyObjectFor(rawJwt) as unknown as string);
        } catch (error) {
          done(error);
        }
      },
      algorithms: verifier.verifyOptions.algorithms,
      issuer: verifier.verifyOptions.issuer as string | undefined,
      audience: verifier.verifyOptions.audience as string | string[] | undefined,
      ignoreExpiration: false,
      jsonWebTokenOptions: { clockTolerance: verifier.verifyOptions.clockTolerance },
    });
  }

  validate(payload: unknown): Principal {
    return principalFromClaims(payload, { clockToleranceSeconds: this.verifier.verifyOptions.clockTolerance });
  }
}
