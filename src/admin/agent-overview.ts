import { Inject, Injectable, Logger } from '@nestjs/common';
import { NodeRegistry } from '../cluster/node-registry.service';
import { AGENT_DIRECTORY, type AgentDirectory } from '../printing/agent-directory.store';
import type { AdminStatsPayload } from './admin.events';

/** The printing agents the admin views show, from the cluster-wide agent directory. */
@Injectable()
export class AgentOverview {
  private readonly logger = new Logger('AdminStats');

  constructor(
    private readonly nodes: NodeRegistry,
    @Inject(AGENT_DIRECTORY) private readonly directory: AgentDirectory,
  ) {}

  /** Agents online per company, and branches that had an agent and have none now; empty when the directory is unreachable. */
  async counts(now: number): Promise<{ agents: Map<string, number>; withoutAgent: Map<string, number> }> {
    const agents = new Map<string, number>();
    const withoutAgent = new Map<string, number>();
    try {
      const directory = await this.directory.load(await this.nodes.aliveInstances(now), now);
      const online = new Map<string, Set<string>>();
      for (const agent of directory.agents) {
        const ids = online.get(agent.companyId) ?? new Set<string>();
        ids.add(`${agent.branchId}/${agent.agentId}`);
        online.set(agent.companyId, ids);
      }
      for (const [companyId, ids] of online) agents.set(companyId, ids.size);
      const covered = new Set(directory.agents.map((agent) => `${agent.companyId}/${agent.branchId}`));
      for (const state of directory.states) {
        if (!covered.has(`${state.companyId}/${state.branchId}`))
          withoutAgent.set(state.companyId, (withoutAgent.get(state.companyId) ?? 0) + 1);
      }
    } catch (error) {
      this.logger.debug(`agent directory unavailable: ${(error as Error).message}`);
    }
    return { agents, withoutAgent };
  }

  /** One company's branches: their agents, or since when they have none; empty when the directory is unreachable. */
  async branches(companyId: string, now: number): Promise<AdminStatsPayload['branches']> {
    try {
      const { agents, states } = await this.directory.load(await this.nodes.aliveInstances(now), now);
      const byBranch = new Map<string, { agents: string[]; offlineSince: number | null }>();
      for (const state of states) {
        if (state.companyId === companyId) byBranch.set(state.branchId, { agents: [], offlineSince: state.offlineSince });
      }
      for (const agent of agents) {
        if (agent.companyId !== companyId) continue;
        const branch = byBranch.get(agent.branchId) ?? { agents: [], offlineSince: null };
        branch.agents.push(agent.agentId);
        byBranch.set(agent.branchId, branch);
      }
      return [...byBranch]
        .map(([branchId, branch]) => ({
          branchId,
          online: branch.agents.length > 0,
          agents: [...new Set(branch.agents)].sort(),
          offlineSince: branch.agents.length > 0 ? null : branch.offlineSince,
        }))
        .sort((a, b) => a.branchId.localeCompare(b.branchId));
    } catch (error) {
      this.logger.debug(`agent directory unavailable: ${(error as Error).message}`);
      return [];
    }
  }
}
