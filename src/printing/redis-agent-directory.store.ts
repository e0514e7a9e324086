import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../redis/redis-client';
import type { AgentDirectory, AgentEntry, BranchState } from './agent-directory.store';

const AGENTS = 'sb:{pj}:agents';
const BRANCHES = 'sb:{pj}:branches';
const TURN = 'sb:{pj}:monitor-turn';

// Releases the turn only if it is still ours (it may have expired and passed to another instance).
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

// Adds the connection and marks its branch as having had an agent, keeping an ongoing alert's flags.
const ADD = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local current = redis.call('HGET', KEYS[2], ARGV[3])
local state = current and cjson.decode(current) or { companyId = ARGV[4], branchId = ARGV[5], offlineSince = cjson.null, alerted = false }
state.lastAgentId = ARGV[6]
redis.call('HSET', KEYS[2], ARGV[3], cjson.encode(state))
return 1
`;

type Client = RedisClient & {
  agentTurnRelease(key: string, token: string): Promise<number>;
  agentAdd(...args: string[]): Promise<number>;
};

/**
 *   sb:{pj}:agents        hash  "<instanceId>|<socketId>" -> { companyId, branchId, agentId, since, addedAt }
 *   sb:{pj}:branches      hash  "<company>/<branch>" -> BranchState
 *   sb:{pj}:monitor-turn  string  the instance evaluating alerts right now (SET NX PX)
 */
export class RedisAgentDirectory implements AgentDirectory {
  private readonly redis: Client;

  constructor(redis: RedisClient) {
    this.redis = redis as Client;
    this.redis.defineCommand('agentTurnRelease', { numberOfKeys: 1, lua: RELEASE });
    this.redis.defineCommand('agentAdd', { numberOfKeys: 2, lua: ADD });
  }

  async add(connectionId: string, entry: AgentEntry): Promise<void> {
    await this.redis.agentAdd(
      AGENTS,
      BRANCHES,
      connectionId,
      JSON.stringify({ ...entry, addedAt: Date.now() }),
      `${entry.companyId}/${entry.branchId}`,
      entry.companyId,
      entry.branchId,
      entry.agentId,
    );
  }

  async remove(connectionId: string): Promise<void> {
    await this.redis.hdel(AGENTS, connectionId);
  }

  async exclusively(ttlMs: number, fn: () => Promise<void>): Promise<boolean> {
    const token = randomUUID();
    if ((await this.redis.set(TURN, token, 'PX', ttlMs, 'NX')) !== 'OK') return false;
    try {
      await fn();
    } finally {
      await this.redis.agentTurnRelease(TURN, token);
    }
    return true;
  }

  async load(alive: ReadonlySet<string>, cutoff: number): Promise<{ agents: AgentEntry[]; states: BranchState[] }> {
    const [entries, branches] = await Promise.all([this.redis.hgetall(AGENTS), this.redis.hgetall(BRANCHES)]);
    const agents: AgentEntry[] = [];
    const dead: string[] = [];
    for (const [connectionId, json] of Object.entries(entries)) {
      const entry = JSON.parse(json) as AgentEntry & { addedAt: number };
      // An entry newer than the alive list may belong to an instance that registered after it was read.
      if (alive.has(connectionId.slice(0, connectionId.indexOf('|'))) || entry.addedAt >= cutoff) agents.push(entry);
      else dead.push(connectionId);
    }
    if (dead.length > 0) await this.redis.hdel(AGENTS, ...dead);
    return { agents, states: Object.values(branches).map((json) => JSON.parse(json) as BranchState) };
  }

  async save(states: readonly BranchState[]): Promise<void> {
    if (states.length === 0) return;
    await this.redis.hset(
      BRANCHES,
      Object.fromEntries(states.map((state) => [`${state.companyId}/${state.branchId}`, JSON.stringify(state)])),
    );
  }

  async states(): Promise<BranchState[]> {
    return Object.values(await this.redis.hgetall(BRANCHES)).map((json) => JSON.parse(json) as BranchState);
  }
}
