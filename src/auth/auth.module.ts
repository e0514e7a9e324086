import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { HttpAuthGuard } from './http-auth.guard';
import { JwtStrategy } from './jwt.strategy';
import { PrincipalCache } from './principal-cache';
import { Revocations } from './revocations.service';
import { TokenVerifier } from './token-verifier.service';

@Module({
  imports: [PassportModule],
  providers: [TokenVerifier, PrincipalCache, JwtStrategy, HttpAuthGuard, Revocations],
  exports: [TokenVerifier, PrincipalCache, HttpAuthGuard, Revocations],
})
export class AuthModule {}
