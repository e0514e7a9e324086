import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ConnectionCensus } from '../realtime/connection-census';
import { ProcessCapacity } from '../realtime/process-capacity.service';
import { HealthSections } from './health-sections';

/** Connected sockets per namespace on this node, the connection cap, and what modules add (HealthSections). */
@Injectable()
export class WebsocketHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly census: ConnectionCensus,
    private readonly capacity: ProcessCapacity,
    private readonly sections: HealthSections,
  ) {}

  check(key = 'websocket') {
    return this.indicators
      .check(key)
      .attempt(async () => {
        const namespaces = this.census.connectionCounts();
        const total = Object.values(namespaces).reduce((sum, count) => sum + count, 0);
        return {
          connections: total,
          namespaces,
          // Clients (Engine.IO sessions and streams) against MAX_CONNECTIONS; readiness goes down at the cap.
          capacity: { connections: this.capacity.connections, max: this.capacity.max, full: this.capacity.full },
          ...(await this.sections.read()),
        };
      })
      .withTimeout(2000);
  }
}
