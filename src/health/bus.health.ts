import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { EventBus } from '../bus/event-bus.service';

export const BUS_ROUND_TRIP_TIMEOUT_MS = 2000;

/** Readiness proves the bus works end to end: publish a probe and receive it back, within 2 s. */
@Injectable()
export class BusHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly bus: EventBus,
  ) {}

  check(key = 'bus') {
    return this.indicators
      .check(key)
      .attempt(async () => {
        const ms = await this.bus.roundTrip(BUS_ROUND_TRIP_TIMEOUT_MS);
        return { engine: this.bus.engineKind, roundTripMs: Math.round(ms * 10) / 10 };
      })
      .withTimeout(BUS_ROUND_TRIP_TIMEOUT_MS + 100);
  }
}
