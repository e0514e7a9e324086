import type { RedisClient } from '../redis/redis-client';
import {
  DEFAULT_PROFILE,
  type Departure,
  type PresenceMember,
  type PresenceProfile,
  type PresenceStore,
  type ProfilePatch,
  type SweepRules,
} from './presence.store';

/**
 * Per channel key K (hash tag {K}, so each script touches one slot):
 *   sb:{K}:pm  userId -> profile JSON { status, view, meta, since }
 *   sb:{K}:pa  userId -> lastActiveAt
 *   sb:{K}:pc  "<instanceId>|<socketId>" -> "<joinedAt>|<userId>"   (open connections)
 *   sb:{K}:pn  userId -> number of open connections
 *   sb:{K}:pl  userId -> when the last connection closed (grace period running)
 * and one set, sb:presence:keys, of the keys that have members (what sweeps visit).
 */
const KEYS_SET = 'sb:presence:keys';
const parts = (key: string) => ['pm', 'pa', 'pc', 'pn', 'pl'].map((suffix) => `sb:{${key}}:${suffix}`);

const JOIN = `
local pm, pa, pc, pn, pl = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local user, conn, now = ARGV[1], ARGV[2], ARGV[3]
if redis.call('HSETNX', pc, conn, now .. '|' .. user) == 1 then redis.call('HINCRBY', pn, user, 1) end
redis.call('HDEL', pl, user)
local first = 0
local profile = redis.call('HGET', pm, user)
if not profile then
  profile = ARGV[4]
  redis.call('HSET', pm, user, profile)
  redis.call('HSET', pa, user, now)
  first = 1
end
return { first, profile, redis.call('HGET', pa, user), redis.call('HGET', pn, user) }
`;

const LEAVE = `
local pm, pa, pc, pn, pl = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
if redis.call('HDEL', pc, ARGV[2]) == 0 then return 0 end
if redis.call('HINCRBY', pn, ARGV[1], -1) > 0 then return 0 end
redis.call('HSET', pn, ARGV[1], 0)
redis.call('HSET', pl, ARGV[1], ARGV[3])
return 1
`;

// The profile is merged here so "since" survives and a removed member is never resurrected.
const UPDATE = `
local pm, pa, pc, pn, pl = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local current = redis.call('HGET', pm, ARGV[1])
if not current then return false end
local member = cjson.decode(current)
local profile = cjson.decode(ARGV[2])
member.status = profile.status
-- An omitted field decodes to nil and is kept; an explicit null decodes to cjson.null and clears it.
if profile.view ~= nil then member.view = profile.view end
if profile.meta ~= nil then member.meta = profile.meta end
local encoded = cjson.encode(member)
redis.call('HSET', pm, ARGV[1], encoded)
redis.call('HSET', pa, ARGV[1], ARGV[3])
return { encoded, ARGV[3], redis.call('HGET', pn, ARGV[1]) }
`;

const TOUCH = `
local pm, pa = KEYS[1], KEYS[2]
if redis.call('HEXISTS', pm, ARGV[1]) == 0 then return 0 end
redis.call('HSET', pa, ARGV[1], ARGV[2])
return 1
`;

const REMOVE_IF_GONE = `
local pm, pa, pc, pn, pl = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local user, now, grace = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
if tonumber(redis.call('HGET', pn, user) or '0') > 0 then return 0 end
local left = redis.call('HGET', pl, user)
if not left or tonumber(left) + grace > now then return 0 end
if redis.call('HDEL', pm, user) == 0 then return 0 end
redis.call('HDEL', pa, user)
redis.call('HDEL', pn, user)
redis.call('HDEL', pl, user)
return 1
`;

const SWEEP = `
local pm, pa, pc, pn, pl = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local now, grace, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local alive = {}
for id in string.gmatch(ARGV[4], '[^,]+') do alive[id] = true end
local connections = redis.call('HGETALL', pc)
local byUser = {}
for i = 1, #connections, 2 do
  local field = connections[i]
  local joinedAt, user = string.match(connections[i + 1], '^(%d+)|(.*)$')
  local instance = string.match(field, '^([^|]*)|') or ''
  -- A connection newer than the alive list may belong to an instance that registered after it was read.
  if alive[instance] or tonumber(joinedAt) >= now then
    byUser[user] = byUser[user] or {}
    table.insert(byUser[user], field)
  else
    redis.call('HDEL', pc, field)
    if redis.call('HINCRBY', pn, user, -1) <= 0 then
      redis.call('HSET', pn, user, 0)
      redis.call('HSETNX', pl, user, now)
    end
  end
end
local removed = {}
for _, user in ipairs(redis.call('HKEYS', pm)) do
  local count = tonumber(redis.call('HGET', pn, user) or '0')
  if count <= 0 then redis.call('HSETNX', pl, user, now) end
  local left = tonumber(redis.call('HGET', pl, user) or now)
  local active = tonumber(redis.call('HGET', pa, user) or '0')
  if (count <= 0 and left + grace <= now) or active + ttl <= now then
    for _, field in ipairs(byUser[user] or {}) do redis.call('HDEL', pc, field) end
    redis.call('HDEL', pm, user)
    redis.call('HDEL', pa, user)
    redis.call('HDEL', pn, user)
    redis.call('HDEL', pl, user)
    table.insert(removed, user)
  end
end
return { redis.call('HLEN', pm), removed }
`;

type Client = RedisClient & {
  presenceJoin(...args: (string | number)[]): Promise<[number, string, string, string]>;
  presenceLeave(...args: (string | number)[]): Promise<number>;
  presenceUpdate(...args: (string | number)[]): Promise<[string, string, string | null] | null>;
  presenceTouch(...args: (string | number)[]): Promise<number>;
  presenceRemoveIfGone(...args: (string | number)[]): Promise<number>;
  presenceSweep(...args: (string | number)[]): Promise<[number, string[]]>;
};

interface StoredProfile extends PresenceProfile {
  readonly since: number;
}

/** Presence in Redis: members deduplicated by user across every node, each step one atomic script. */
export class RedisPresenceStore implements PresenceStore {
  private readonly redis: Client;

  constructor(redis: RedisClient) {
    this.redis = redis as Client;
    const scripts = { presenceJoin: JOIN, presenceLeave: LEAVE, presenceUpdate: UPDATE, presenceTouch: TOUCH };
    for (const [name, lua] of Object.entries(scripts)) this.redis.defineCommand(name, { numberOfKeys: 5, lua });
    this.redis.defineCommand('presenceRemoveIfGone', { numberOfKeys: 5, lua: REMOVE_IF_GONE });
    this.redis.defineCommand('presenceSweep', { numberOfKeys: 5, lua: SWEEP });
  }

  async join(key: string, userId: string, connectionId: string, now: number): Promise<{ first: boolean; member: PresenceMember }> {
    const profile: StoredProfile = { ...DEFAULT_PROFILE, since: now };
    // Both commands go out together on one connection; the key is registered before sweeps can miss it.
    const [, [first, stored, activeAt, count]] = await Promise.all([
      this.redis.sadd(KEYS_SET, key),
      this.redis.presenceJoin(...parts(key), userId, connectionId, now, JSON.stringify(profile)),
    ]);
    return { first: first === 1, member: member(userId, stored, activeAt, count) };
  }

  async leave(key: string, userId: string, connectionId: string, now: number): Promise<{ last: boolean }> {
    return { last: (await this.redis.presenceLeave(...parts(key), userId, connectionId, now)) === 1 };
  }

  async update(key: string, userId: string, patch: ProfilePatch, now: number): Promise<PresenceMember | undefined> {
    const { status, view, meta } = patch;
    const result = await this.redis.presenceUpdate(...parts(key), userId, JSON.stringify({ status, view, meta }), now);
    return result ? member(userId, result[0], result[1], result[2]) : undefined;
  }

  async touch(key: string, userId: string, now: number): Promise<boolean> {
    return (await this.redis.presenceTouch(...parts(key), userId, now)) === 1;
  }

  async list(key: string): Promise<PresenceMember[]> {
    const [pm, pa, , pn] = parts(key);
    const results = (await this.redis.multi().hgetall(pm).hgetall(pa).hgetall(pn).exec()) as [Error | null, Record<string, string>][];
    const [profiles, active, counts] = results.map(([, value]) => value);
    return Object.entries(profiles).map(([userId, stored]) => member(userId, stored, active[userId], counts[userId]));
  }

  async removeIfGone(key: string, userId: string, now: number, graceMs: number): Promise<boolean> {
    return (await this.redis.presenceRemoveIfGone(...parts(key), userId, now, graceMs)) === 1;
  }

  async sweep({ now, alive, graceMs, ttlMs }: SweepRules): Promise<Departure[]> {
    const departures: Departure[] = [];
    for (const key of await this.redis.smembers(KEYS_SET)) {
      const [remaining, removed] = await this.redis.presenceSweep(...parts(key), now, graceMs, ttlMs, [...alive].join(','));
      for (const userId of removed) departures.push({ key, userId });
      if (remaining === 0) await this.forgetIfEmpty(key);
    }
    return departures;
  }

  /** Drops an empty key from the sweep set; re-adds it if a join slipped in meanwhile. */
  private async forgetIfEmpty(key: string): Promise<void> {
    await this.redis.srem(KEYS_SET, key);
    if ((await this.redis.hlen(parts(key)[0])) > 0) await this.redis.sadd(KEYS_SET, key);
  }
}

function member(userId: string, stored: string, activeAt: string | null | undefined, count: string | null | undefined): PresenceMember {
  const profile = JSON.parse(stored) as StoredProfile;
  return {
    userId,
    status: profile.status,
    view: profile.view ?? null,
    // cjson turns an empty object into an empty array and back into an object; normalise.
    meta: profile.meta && !Array.isArray(profile.meta) ? profile.meta : null,
    connections: Math.max(0, Number(count ?? 0)),
    since: profile.since,
    lastActiveAt: Number(activeAt ?? profile.since),
  };
}
