import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { isPlatform, type Principal } from '../common/principal';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { HttpAuthGuard, RequireRoles } from '../auth/http-auth.guard';
import { AppError, ErrorCode } from '../common/app.errors';
import { ApiErrors } from '../openapi/api-errors.decorator';
import { AdminStats } from './admin-stats.service';
import type { PlatformView } from './admin.events';

/**
 * The platform view: every company at a glance, for the team that runs many tenants. Over HTTP,
 * because sockets belong to one company and refuse platform tokens; the dashboard polls it.
 */
@ApiTags('admin')
@ApiBearerAuth()
@ApiErrors(401, 403)
@Controller('v1/admin')
@UseGuards(HttpAuthGuard)
@RequireRoles('admin')
export class PlatformController {
  constructor(private readonly stats: AdminStats) {}

  @Get('platform')
  @ApiOperation({
    summary: 'Every company at a glance (platform admin: companyId "*", role admin)',
    description:
      'Connections, events per second, publish-to-deliver p99, print jobs awaiting an ack and agents, per company, cluster-wide, busiest first. A tenant admin gets 403.',
  })
  @ApiResponse({
    status: 200,
    description: 'The view, from the last second of every live node',
    schema: { type: 'object', properties: { at: { type: 'integer' }, nodes: { type: 'array' }, companies: { type: 'array' } } },
  })
  view(@CurrentPrincipal() principal: Principal): Promise<PlatformView> {
    if (!isPlatform(principal)) throw new AppError(ErrorCode.FORBIDDEN, 'the platform view is for platform admins (companyId "*")');
    return this.stats.platform();
  }
}
