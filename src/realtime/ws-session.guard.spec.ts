import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Principal } from '../common/principal';
import { AppError } from '../common/app.errors';
import type { Revocations } from '../auth/revocations.service';
import type { AppConfig } from '../config';
import { CommandRoles, WsSessionGuard } from './ws-session.guard';

class Handlers {
  @CommandRoles('printer-agent')
  register(): void {}

  subscribe(): void {}
}

const principal = (overrides: Partial<Principal> = {}): Principal => ({
  id: 'u1',
  companyId: 'acme',
  branchIds: ['b1'],
  roles: ['staff'],
  expiresAt: Date.now() + 60_000,
  ...overrides,
});

function contextFor(handler: keyof Handlers, who: Principal): ExecutionContext {
  return {
    getHandler: () => Handlers.prototype[handler],
    switchToWs: () => ({ getClient: () => ({ data: { principal: who } }), getPattern: () => handler }),
  } as unknown as ExecutionContext;
}

function guard(revoked: (p: Principal) => boolean = () => false): WsSessionGuard {
  const revocations = { isRevoked: revoked } as unknown as Revocations;
  return new WsSessionGuard(new Reflector(), revocations, { jwt: { graceSeconds: 30 } } as AppConfig);
}

const codeOf = (run: () => unknown): string | undefined => {
  try {
    run();
    return undefined;
  } catch (error) {
    return (error as AppError).toBody().code;
  }
};

describe('WsSessionGuard', () => {
  it('lets a valid session send commands without a role rule', () => {
    expect(guard().canActivate(contextFor('subscribe', principal()))).toBe(true);
  });

  it('refuses a command to a token without one of its roles (FORBIDDEN), and allows it with one', () => {
    expect(codeOf(() => guard().canActivate(contextFor('register', principal())))).toBe('FORBIDDEN');
    expect(guard().canActivate(contextFor('register', principal({ roles: ['printer-agent'] })))).toBe(true);
  });

  it('refuses every command once the token is past exp plus the grace (AUTH_EXPIRED), not within the grace', () => {
    expect(guard().canActivate(contextFor('subscribe', principal({ expiresAt: Date.now() - 10_000 })))).toBe(true);
    expect(codeOf(() => guard().canActivate(contextFor('subscribe', principal({ expiresAt: Date.now() - 31_000 }))))).toBe('AUTH_EXPIRED');
  });

  it('refuses every command of a revoked token (REVOKED)', () => {
    expect(codeOf(() => guard(() => true).canActivate(contextFor('subscribe', principal())))).toBe('REVOKED');
  });
});
