import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Principal } from '../common/principal';

/** The principal HttpAuthGuard put on the request. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal => context.switchToHttp().getRequest<{ user: Principal }>().user,
);
