import type { AgentDirectory, AgentEntry, BranchState } from './agent-directory.store';

/** One process: everything is local and every turn is ours. */
export class MemoryAgentDirectory implements AgentDirectory {
  private readonly agents = new Map<string, AgentEntry>();
  private branchStates: BranchState[] = [];

  add(connectionId: string, entry: AgentEntry): Promise<void> {
    this.agents.set(connectionId, entry);
    const index = this.branchStates.findIndex((state) => state.companyId === entry.companyId && state.branchId === entry.branchId);
    const state = this.branchStates[index];
    if (!state) {
      this.branchStates.push({
        companyId: entry.companyId,
        branchId: entry.branchId,
        lastAgentId: entry.agentId,
        offlineSince: null,
        alerted: false,
      });
    } else {
      this.branchStates[index] = { ...state, lastAgentId: entry.agentId };
    }
    return Promise.resolve();
  }

  remove(connectionId: string): Promise<void> {
    this.agents.delete(connectionId);
    return Promise.resolve();
  }

  async exclusively(_ttlMs: number, fn: () => Promise<void>): Promise<boolean> {
    await fn();
    return true;
  }

  load(): Promise<{ agents: AgentEntry[]; states: BranchState[] }> {
    return Promise.resolve({ agents: [...this.agents.values()], states: this.branchStates });
  }

  save(states: readonly BranchState[]): Promise<void> {
    this.branchStates = [...states];
    return Promise.resolve();
  }

  states(): Promise<BranchState[]> {
    return Promise.resolve(this.branchStates);
  }
}
