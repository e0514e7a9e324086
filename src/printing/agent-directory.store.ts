/** A printing agent connection, cluster-wide. */
export interface AgentEntry {
  readonly companyId: string;
  readonly branchId: string;
  readonly agentId: string;
  /** When it connected (epoch ms). */
  readonly since: number;
}

/** What the offline monitor remembers about a branch that has had an agent. */
export interface BranchState {
  readonly companyId: string;
  readonly branchId: string;
  readonly lastAgentId: string;
  /** When the branch lost its last agent; null while one is connected. */
  readonly offlineSince: number | null;
  /** printing:agent-offline has been published for the current outage. */
  readonly alerted: boolean;
}

export const AGENT_DIRECTORY = Symbol('AGENT_DIRECTORY');

/**
 * Which agents are connected anywhere, and each branch's alert state. `connectionId` is
 * `<instanceId>|<socketId>`: entries of dead instances are dropped when the monitor loads them.
 */
export interface AgentDirectory {
  /**
   * Records a connection, and that its branch has had an agent: even one that leaves before the
   * monitor next looks must count, or a quick connect-then-vanish would never raise an alert.
   */
  add(connectionId: string, entry: AgentEntry): Promise<void>;
  remove(connectionId: string): Promise<void>;
  /** Runs `fn` on one instance at a time; false when another instance holds the turn. */
  exclusively(ttlMs: number, fn: () => Promise<void>): Promise<boolean>;
  /** Live agents (dropping dead instances' entries older than `cutoff`) and branch states. */
  load(alive: ReadonlySet<string>, cutoff: number): Promise<{ agents: AgentEntry[]; states: BranchState[] }>;
  save(states: readonly BranchState[]): Promise<void>;
  states(): Promise<BranchState[]>;
}
