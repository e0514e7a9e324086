import { Controller, Get, UseFilters } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { DrainService } from '../lifecycle/drain.service';
import { ProcessCapacity } from '../realtime/process-capacity.service';
import { BusHealthIndicator } from './bus.health';
import { HealthResponseFilter } from './health-response.filter';
import { RedisHealthIndicator } from './redis.health';
import { MetricsService } from '../metrics/metrics.service';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { WebsocketHealthIndicator } from './websocket.health';

/** 200 when up, 503 with details when down. Unauthenticated: expose it only to your probes. */
@ApiTags('health')
@Controller('health')
@UseFilters(HealthResponseFilter)
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly redis: RedisHealthIndicator,
    private readonly bus: BusHealthIndicator,
    private readonly websocket: WebsocketHealthIndicator,
    private readonly drain: DrainService,
    private readonly capacity: ProcessCapacity,
    metrics: MetricsService,
  ) {
    metrics.provide({ ready: () => this.lastReady });
  }

  /** The last readiness answer, for switchboard_ready (alert rules read it). */
  private lastReady: boolean | undefined;

  /** The process is up and its event loop answers. */
  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process answers (restart it when this fails)' })
  @HealthCheck()
  live() {
    return this.health.check([
      () => this.indicators.check('process').up({ pid: process.pid, uptimeSeconds: Math.round(process.uptime()) }),
    ]);
  }

  /** The probes of the original design call plain /health: it answers exactly as /health/ready. */
  @Get()
  @ApiOperation({ summary: 'The same as /health/ready (the path the original design’s probes call)' })
  @HealthCheck()
  plain() {
    return this.ready();
  }

  /**
   * Ready for traffic: not draining, below MAX_CONNECTIONS (so balancers send new clients to
   * other processes), Redis (when configured) answers, and a bus round-trip completes within 2 s.
   */
  @Get('ready')
  @ApiOperation({
    summary: 'Readiness: not draining, below MAX_CONNECTIONS, Redis answers, a bus round trip completes (route traffic here)',
  })
  @HealthCheck()
  async ready() {
    try {
      const result = await this.checkReady();
      this.lastReady = true;
      return result;
    } catch (error) {
      this.lastReady = false;
      throw error;
    }
  }

  private checkReady() {
    return this.health.check([
      () =>
        this.drain.draining
          ? this.indicators.check('lifecycle').down({ draining: true })
          : this.indicators.check('lifecycle').up({ draining: false }),
      () => {
        const load = { connections: this.capacity.connections, max: this.capacity.max };
        return this.capacity.full ? this.indicators.check('capacity').down(load) : this.indicators.check('capacity').up(load);
      },
      () => this.redis.check(),
      () => this.bus.check(),
    ]);
  }

  @Get('redis')
  @ApiOperation({ summary: 'Redis: answers and takes writes (always up on the embedded engine)' })
  @HealthCheck()
  redisHealth() {
    return this.health.check([() => this.redis.check()]);
  }

  @Get('websocket')
  @ApiOperation({ summary: 'Connections per namespace, capacity and printing agents on this process' })
  @HealthCheck()
  websocketHealth() {
    return this.health.check([() => this.websocket.check()]);
  }
}
