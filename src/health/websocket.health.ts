import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { DeliveryService } from '../realtime/delivery.service';

/** Connected sockets per namespace on this node. */
@Injectable()
export class WebsocketHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly delivery: DeliveryService,
  ) {}

  check(key = 'websocket') {
    const namespaces = this.delivery.connectionCounts();
    const total = Object.values(namespaces).reduce((sum, count) => sum + count, 0);
    return this.indicators.check(key).up({ connections: total, namespaces });
  }
}
