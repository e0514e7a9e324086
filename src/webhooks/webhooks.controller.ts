import { Controller, Get, HttpCode, Inject, Param, Post, Query, UseGuards, UsePipes } from '@nestjs/common';
import { isPlatform, type Principal } from '../common/principal';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { HttpAuthGuard, RequireRoles } from '../auth/http-auth.guard';
import { AppError, ErrorCode } from '../common/app.errors';
import { httpValidationPipe } from '../common/http-validation.pipe';
import { APP_CONFIG, type AppConfig, type WebhooksConfig } from '../config';
import { DeadLetterParamsDto, DeadLettersQueryDto } from './dto/dead-letters.dto';
import type { DeadLetter } from './webhook.model';
import { WEBHOOK_QUEUE, type WebhookQueue } from './webhook-queue';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../openapi/api-errors.decorator';
import { WebhookSender } from './webhook-sender.service';

/**
 * The dead-letter list, for admins: a platform admin sees and replays every company's, a
 * company admin its own. Replaying sends the delivery again with its attempts reset (and the
 * same webhook-id, so a receiver that did get it after all dedupes it).
 */
@ApiTags('webhooks')
@ApiBearerAuth()
@ApiErrors(400, 401, 403, 503)
@Controller('v1/webhooks')
@UseGuards(HttpAuthGuard)
@RequireRoles('admin')
@UsePipes(httpValidationPipe())
export class WebhooksController {
  private readonly config: WebhooksConfig | undefined;

  constructor(
    @Inject(WEBHOOK_QUEUE) private readonly queue: WebhookQueue,
    private readonly sender: WebhookSender,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.config = config.webhooks;
  }

  @Get('dead-letters')
  @ApiOperation({ summary: 'Webhook deliveries that ran out of attempts (role admin; a platform admin sees every company)' })
  @ApiQuery({ name: 'limit', required: false, type: 'integer' })
  @ApiResponse({ status: 200, description: 'Dead letters, newest first', schema: { type: 'object', additionalProperties: true } })
  async deadLetters(
    @CurrentPrincipal() principal: Principal,
    @Query() query: DeadLettersQueryDto,
  ): Promise<{ queued: number; deadLetters: DeadLetter[] }> {
    const config = this.enabled();
    const [queued, letters] = await this.reach(() => Promise.all([this.queue.depth(), this.visible(principal, config)]));
    return { queued, deadLetters: letters.slice(0, query.limit ?? 100) };
  }

  @Post('dead-letters/:id/replay')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a dead letter again, with the same webhook-id (role admin)' })
  @ApiParam({ name: 'id', type: 'string' })
  @ApiResponse({ status: 202, description: 'Queued again', schema: { type: 'object', properties: { replayed: { type: 'string' } } } })
  @ApiErrors(404)
  async replay(@CurrentPrincipal() principal: Principal, @Param() params: DeadLetterParamsDto): Promise<{ replayed: string }> {
    const config = this.enabled();
    const letters = await this.reach(() => this.visible(principal, config));
    if (!letters.some((letter) => letter.id === params.id) || !(await this.reach(() => this.queue.replay(params.id, Date.now())))) {
      throw new AppError(ErrorCode.NOT_FOUND, `no dead letter ${params.id}`);
    }
    this.sender.kick();
    return { replayed: params.id };
  }

  private async visible(principal: Principal, config: WebhooksConfig): Promise<DeadLetter[]> {
    const letters = await this.queue.deadLetters(config.deadLetterMax);
    return isPlatform(principal) ? letters : letters.filter((letter) => letter.companyId === principal.companyId);
  }

  private enabled(): WebhooksConfig {
    if (!this.config) throw new AppError(ErrorCode.NOT_FOUND, 'webhooks are off (WEBHOOK_URLS is unset)');
    return this.config;
  }

  private async reach<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch {
      throw new AppError(ErrorCode.UNAVAILABLE, 'the webhook queue is unreachable; retry shortly', undefined, 1);
    }
  }
}
