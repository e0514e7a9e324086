import { Body, Controller, HttpCode, Post, UseGuards, UsePipes } from '@nestjs/common';
import type { Principal } from '../common/principal';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { HttpAuthGuard, RequireRoles } from '../auth/http-auth.guard';
import { Revocations, type RevocationRule } from '../auth/revocations.service';
import { revocationTenantOf } from '../auth/tenant';
import { httpValidationPipe } from '../common/http-validation.pipe';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../openapi/api-errors.decorator';
import { RevokeDto } from './dto/revoke.dto';

/**
 * Token revocation: admins and services for their own company; platform tokens for any company;
 * platform tokens themselves (`companyId: "*"`, by jti, sub or all) by a platform admin only.
 */
@ApiTags('admin')
@ApiBearerAuth()
@ApiErrors(400, 401, 403, 503)
@Controller('v1/admin')
@UseGuards(HttpAuthGuard)
@RequireRoles('admin', 'service')
@UsePipes(httpValidationPipe())
export class RevocationsController {
  constructor(private readonly revocations: Revocations) {}

  /** Disconnects matching sockets on every node (REVOKED) and refuses those tokens until the rule expires. */
  @Post('revoke')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Revoke tokens by jti, user or company (role admin or service)',
    description: 'Matching sockets on every node are disconnected with REVOKED.',
  })
  @ApiResponse({
    status: 202,
    description: 'The rule, in force everywhere',
    schema: { type: 'object', properties: { revoked: { type: 'object' } } },
  })
  async revoke(@CurrentPrincipal() principal: Principal, @Body() request: RevokeDto): Promise<{ revoked: RevocationRule }> {
    const companyId = revocationTenantOf(principal, request.companyId);
    return { revoked: await this.revocations.revoke({ companyId, userId: request.userId, jti: request.jti }) };
  }
}
