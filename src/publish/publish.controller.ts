import { Body, Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import type { Principal } from '../common/principal';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { HttpAuthGuard, RequireRoles } from '../auth/http-auth.guard';
import { CompiledBodyPipe } from '../common/compiled-body.pipe';
import type { PublishResult } from '../bus/event-bus.service';
import { PublishBatchDto } from './dto/publish-batch.dto';
import { PublishMessageDto } from './dto/publish-message.dto';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../openapi/api-errors.decorator';
import { PublishService } from './publish.service';

/** One publish result (PublishResult), for the OpenAPI document. */
const PUBLISH_RESULT_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    channel: { type: 'string' },
    seq: { type: 'integer' },
    epoch: { type: 'string' },
    queued: { type: 'boolean' },
    duplicate: { type: 'boolean' },
  },
};

/**
 * The HTTP ingress for backend services (role `service`). Bodies are checked by validators
 * compiled from the DTOs at boot (the hot path), not by class-validator per request.
 */
@ApiTags('publish')
@ApiBearerAuth()
@ApiErrors(400, 401, 403, 413, 429, 503)
@Controller('v1/publish')
@UseGuards(HttpAuthGuard)
@RequireRoles('service')
export class PublishController {
  constructor(private readonly publisher: PublishService) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Publish one event (role service)',
    description:
      'Sequenced on its channel: the answer is its position. `queued: true` while Redis is unreachable (sequenced when flushed); `duplicate: true` for a known idempotencyKey.',
  })
  @ApiResponse({
    status: 202,
    description: 'Accepted',
    schema: PUBLISH_RESULT_SCHEMA,
  })
  async publish(
    @CurrentPrincipal() principal: Principal,
    @Body(new CompiledBodyPipe(PublishMessageDto)) message: PublishMessageDto,
    @Req() request: { id?: string },
  ): Promise<PublishResult> {
    const [result] = await this.publisher.publish(principal, [message], () => '', request.id);
    return result;
  }

  @Post('batch')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Publish a batch of events (role service)',
    description: 'Results in request order; events of one channel get consecutive seqs.',
  })
  @ApiResponse({
    status: 202,
    description: 'Accepted',
    schema: {
      type: 'object',
      properties: {
        results: {
          type: 'array',
          items: PUBLISH_RESULT_SCHEMA,
        },
      },
    },
  })
  async batch(
    @CurrentPrincipal() principal: Principal,
    @Body(new CompiledBodyPipe(PublishBatchDto)) batch: PublishBatchDto,
    @Req() request: { id?: string },
  ): Promise<{ results: PublishResult[] }> {
    return { results: await this.publisher.publish(principal, batch.messages, (index) => `messages[${index}].`, request.id) };
  }
}
