import type { AgentEntry, BranchState } from './agent-directory.store';

export interface AgentAlert {
  readonly type: 'offline' | 'online';
  readonly companyId: string;
  readonly branchId: string;
  readonly agentId: string;
  readonly since: number;
}

/**
 * The offline alert rule, as a pure function: a branch that had an agent and has had none for
 * `thresholdMs` raises one `offline` alert; the next agent to return raises one `online` alert.
 */
export function evaluateBranches(
  agents: readonly AgentEntry[],
  states: readonly BranchState[],
  now: number,
  thresholdMs: number,
): { states: BranchState[]; alerts: AgentAlert[] } {
  const live = new Map<string, AgentEntry>();
  for (const agent of agents) {
    const key = `${agent.companyId}/${agent.branchId}`;
    const current = live.get(key);
    if (!current || agent.since > current.since) live.set(key, agent);
  }
  const next = new Map<string, BranchState>(states.map((state) => [`${state.companyId}/${state.branchId}`, state]));
  const alerts: AgentAlert[] = [];
  for (const [key, agent] of live) {
    const previous = next.get(key);
    if (previous?.alerted) {
      alerts.push({ type: 'online', companyId: agent.companyId, branchId: agent.branchId, agentId: agent.agentId, since: now });
    }
    next.set(key, { companyId: agent.companyId, branchId: agent.branchId, lastAgentId: agent.agentId, offlineSince: null, alerted: false });
  }
  for (const [key, state] of next) {
    if (live.has(key)) continue;
    if (state.offlineSince === null) {
      next.set(key, { ...state, offlineSince: now });
    } else if (!state.alerted && now - state.offlineSince >= thresholdMs) {
      alerts.push({
        type: 'offline',
        companyId: state.companyId,
        branchId: state.branchId,
        agentId: state.lastAgentId,
        since: state.offlineSince,
      });
      next.set(key, { ...state, alerted: true });
    }
  }
  return { states: [...next.values()], alerts };
}
