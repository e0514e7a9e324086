import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { AgentMonitor } from '../printing/agent-monitor.service';
import { AgentRegistry } from '../printing/agent-registry.service';
import { DeliveryService } from '../realtime/delivery.service';
import { ProcessCapacity } from '../realtime/process-capacity.service';

/** Connected sockets per namespace on this node, printing agents here, and branches alerted offline (cluster-wide). */
@Injectable()
export class WebsocketHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly delivery: DeliveryService,
    private readonly agents: AgentRegistry,
    private readonly monitor: AgentMonitor,
    private readonly capacity: ProcessCapacity,
  ) {}

  check(key = 'websocket') {
    return this.indicators
      .check(key)
      .attempt(async () => {
        const namespaces = this.delivery.connectionCounts();
        const total = Object.values(namespaces).reduce((sum, count) => sum + count, 0);
        // Alerts live in Redis on the Redis engine; an unreachable Redis must not hide the socket counts.
        const offline = await this.monitor.offlineBranches().catch(() => undefined);
        return {
          connections: total,
          namespaces,
          // Clients (Engine.IO sessions and streams) against MAX_CONNECTIONS; readiness goes down at the cap.
          capacity: { connections: this.capacity.connections, max: this.capacity.max, full: this.capacity.full },
          printing: {
            agentsHere: this.agents.size,
            offlineBranches:
              offline?.map(({ companyId, branchId, lastAgentId, offlineSince }) => ({
                companyId,
                branchId,
                agentId: lastAgentId,
                since: offlineSince,
              })) ?? 'unknown (storage unreachable)',
          },
        };
      })
      .withTimeout(2000);
  }
}
