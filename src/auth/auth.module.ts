import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { HttpAuthGuard } from './http-auth.guard';
import { JwtStrategy } from './jwt.strategy';
import { PrincipalCache } from './principal-cache';
import { Revocations } from './revocations.service';
import { SessionKicks } from './session-kicks.service';
import { StreamTicketsController } from './stream-tickets.controller';
import { StreamTickets } from './stream-tickets.service';
import { TokenVerifier } from './token-verifier.service';

@Module({
  imports: [PassportModule],
  controllers: [StreamTicketsController],
  providers: [TokenVerifier, PrincipalCache, JwtStrategy, HttpAuthGuard, Revocations, SessionKicks, StreamTickets],
  exports: [TokenVerifier, PrincipalCache, HttpAuthGuard, Revocations, SessionKicks, StreamTickets],
})
export class AuthModule {}
