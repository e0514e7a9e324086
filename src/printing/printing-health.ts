import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HealthSections } from '../health/health-sections';
import { AgentMonitor } from './agent-monitor.service';
import { AgentRegistry } from './agent-registry.service';

/** /health/websocket `printing`: agents on this node, and branches alerted offline (cluster-wide). */
@Injectable()
export class PrintingHealth implements OnModuleInit {
  constructor(
    private readonly sections: HealthSections,
    private readonly agents: AgentRegistry,
    private readonly monitor: AgentMonitor,
  ) {}

  onModuleInit(): void {
    this.sections.add('printing', async () => {
      // Alerts live in Redis on the Redis engine; an unreachable Redis must not hide the rest.
      const offline = await this.monitor.offlineBranches().catch(() => undefined);
      return {
        agentsHere: this.agents.size,
        offlineBranches:
          offline?.map(({ companyId, branchId, lastAgentId, offlineSince }) => ({
            companyId,
            branchId,
            agentId: lastAgentId,
            since: offlineSince,
          })) ?? 'unknown (storage unreachable)',
      };
    });
  }
}
