import { Controller, Get, Header, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { MetricsService } from './metrics.service';

/**
 * Prometheus scrape endpoint of this process. Keep it off the public internet (the haproxy
 * recipe denies it): it names companies. In the sticky cluster, scrape the primary's
 * METRICS_PORT instead, which sums every worker.
 */
@ApiTags('metrics')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Prometheus metrics of this process (keep it internal: it names companies)' })
  @ApiProduces('text/plain')
  @ApiResponse({ status: 200, description: 'Prometheus text format (docs/operations.md, Metrics)' })
  async scrape(@Res() response: FastifyReply): Promise<void> {
    const body = await this.metrics.registry.metrics();
    response.type(this.metrics.registry.contentType).send(body);
  }
}
