import { Body, Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import type { Principal } from '../auth/claims';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { HttpAuthGuard, RequireRoles } from '../auth/http-auth.guard';
import { CompiledBodyPipe } from '../common/compiled-body.pipe';
import type { PublishResult } from '../bus/event-bus.service';
import { PublishBatchDto } from './dto/publish-batch.dto';
import { PublishMessageDto } from './dto/publish-message.dto';
import { PublishService } from './publish.service';

/**
 * The HTTP ingress for backend services (role `service`). Bodies are checked by validators
 * compiled from the DTOs at boot (the hot path), not by class-validator per request.
 */
@Controller('v1/publish')
@UseGuards(HttpAuthGuard)
@RequireRoles('service')
export class PublishController {
  constructor(private readonly publisher: PublishService) {}

  @Post()
  @HttpCode(202)
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
  async batch(
    @CurrentPrincipal() principal: Principal,
    @Body(new CompiledBodyPipe(PublishBatchDto)) batch: PublishBatchDto,
    @Req() request: { id?: string },
  ): Promise<{ results: PublishResult[] }> {
    return { results: await this.publisher.publish(principal, batch.messages, (index) => `messages[${index}].`, request.id) };
  }
}
