import { Controller, Get, Header, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { MetricsService } from './metrics.service';

/**
 * Prometheus scrape endpoint of this process. Keep it off the public internet (the haproxy
 * recipe denies it): it names companies. In the sticky cluster, scrape the primary's
 * METRICS_PORT instead, which sums every worker.
 */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('cache-control', 'no-store')
  async scrape(@Res() response: FastifyReply): Promise<void> {
    const body = await this.metrics.registry.metrics();
    response.type(this.metrics.registry.contentType).send(body);
  }
}
