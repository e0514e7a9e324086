import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { AppError } from '../common/app.errors';
import { EventBus } from '../bus/event-bus.service';
import { ClusterProbe } from './cluster-probe.service';

export const BUS_ROUND_TRIP_TIMEOUT_MS = 2000;

/** Readiness proves the bus works end to end, across every live node (see ClusterProbe), within 2 s. */
@Injectable()
export class BusHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly bus: EventBus,
    private readonly probe: ClusterProbe,
  ) {}

  async check(key = 'bus') {
    const indicator = this.indicators.check(key);
    try {
      const report = await this.probe.run(BUS_ROUND_TRIP_TIMEOUT_MS);
      return indicator.up({ engine: this.bus.engineKind, ...report });
    } catch (error) {
      const details = error instanceof AppError && typeof error.details === 'object' ? error.details : {};
      return indicator.down({ engine: this.bus.engineKind, message: (error as Error).message, ...details });
    }
  }
}
