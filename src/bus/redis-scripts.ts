/**
 * Lua run atomically inside Redis. Keys for one channel share the hash tag `{<channel key>}`,
 * so they live in one slot and the scripts stay valid on Redis Cluster.
 *
 * Layout per channel key K:
 *   sb:{K}:m        hash   e = epoch, s = last seq
 *   sb:{K}:l        stream entries with id `<seq>-0`, field e = envelope JSON
 *   sb:{K}:so       zset   snapshot keys (e.g. entityId) scored by the seq of their latest event
 *   sb:{K}:sv       hash   snapshot key = envelope JSON of its latest event
 *   sb:{K}:i:<key>  string `<epoch>|<seq>|<id>` for an idempotency key
 *   sb:{K}:p        pub/sub channel (sharded when the server supports it)
 */

/**
 * Publish n events to one channel: seq, history, snapshot and fan-out happen in one atomic
 * step, so no crash can leave a seq without history or a delivered event without a seq.
 *
 * KEYS[1] meta, KEYS[2] log, KEYS[3] snapshot order (zset), KEYS[4] snapshot values (hash),
 * KEYS[5..] idempotency keys
 * ARGV[1] pub/sub channel, ARGV[2] "1" for SPUBLISH, ARGV[3] history size, ARGV[4] history ttl,
 * ARGV[5] position ttl, ARGV[6] idempotency ttl, ARGV[7] epoch to use if the channel is new,
 * ARGV[8] snapshot limit, ARGV[9] n, then per event i: idempotency KEYS index (0 = none), id,
 * snapshot key ("" = none), envelope head (the JSON object without its closing brace; seq and
 * epoch are appended here).
 *
 * Returns one string per event: "<dup 0|1>|<epoch>|<seq>|<id>".
 */
export const PUBLISH_SCRIPT = `
local meta, log, snapOrder, snapValues = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local epoch = redis.call('HGET', meta, 'e')
local seq
if not epoch then
  epoch = ARGV[7]
  seq = 0
  -- A new epoch starts a new history; stale entries would collide with seq ids from 1.
  redis.call('DEL', log, snapOrder, snapValues)
else
  seq = tonumber(redis.call('HGET', meta, 's')) or 0
end
local n = tonumber(ARGV[9])
local results = {}
local published = {}
local snapshotted = false
for i = 1, n do
  local base = 9 + (i - 1) * 4
  local idem = tonumber(ARGV[base + 1])
  local id = ARGV[base + 2]
  local snapKey = ARGV[base + 3]
  local prior = false
  if idem > 0 then prior = redis.call('GET', KEYS[idem]) end
  if prior then
    results[i] = '1|' .. prior
  else
    seq = seq + 1
    local envelope = ARGV[base + 4] .. ',"seq":' .. seq .. ',"epoch":"' .. epoch .. '"}'
    redis.call('XADD', log, 'MAXLEN', '~', ARGV[3], seq .. '-0', 'e', envelope)
    if snapKey ~= '' then
      redis.call('ZADD', snapOrder, seq, snapKey)
      redis.call('HSET', snapValues, snapKey, envelope)
      snapshotted = true
    end
    local outcome = epoch .. '|' .. seq .. '|' .. id
    if idem > 0 then redis.call('SET', KEYS[idem], outcome, 'EX', ARGV[6]) end
    results[i] = '0|' .. outcome
    published[#published + 1] = envelope
  end
end
if #published > 0 then
  redis.call('HSET', meta, 'e', epoch, 's', seq)
  redis.call('EXPIRE', log, ARGV[4])
  redis.call('EXPIRE', meta, ARGV[5])
  if snapshotted then
    local excess = redis.call('ZCARD', snapOrder) - tonumber(ARGV[8])
    if excess > 0 then
      local oldest = redis.call('ZRANGE', snapOrder, 0, excess - 1)
      redis.call('HDEL', snapValues, unpack(oldest))
      redis.call('ZREMRANGEBYRANK', snapOrder, 0, excess - 1)
    end
    redis.call('EXPIRE', snapOrder, ARGV[5])
    redis.call('EXPIRE', snapValues, ARGV[5])
  end
  local message = '[' .. table.concat(published, ',') .. ']'
  if ARGV[2] == '1' then
    redis.call('SPUBLISH', ARGV[1], message)
  else
    redis.call('PUBLISH', ARGV[1], message)
  end
end
return results
`;

/**
 * Read a channel's position, the events after a seq and (optionally) its snapshot, creating
 * the epoch if the channel has none (so that a subscriber's position stays valid when the
 * first event is published).
 *
 * KEYS[1] meta, KEYS[2] log, KEYS[3] snapshot order, KEYS[4] snapshot values
 * ARGV[1] afterSeq, ARGV[2] history size (most events that may be replayed),
 * ARGV[3] epoch to use if new, ARGV[4] position ttl, ARGV[5] snapshot limit (0 = no snapshot)
 *
 * Returns { epoch, seq, complete (1|0), event count, envelope..., snapshot envelope... (newest first) }.
 */
export const READ_SCRIPT = `
local meta, log, snapOrder, snapValues = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local epoch = redis.call('HGET', meta, 'e')
if not epoch then
  epoch = ARGV[3]
  redis.call('DEL', log, snapOrder, snapValues)
  redis.call('HSET', meta, 'e', epoch, 's', 0)
  redis.call('EXPIRE', meta, ARGV[4])
  return { epoch, 0, 1, 0 }
end
local seq = tonumber(redis.call('HGET', meta, 's')) or 0
local after = tonumber(ARGV[1])
local out = { epoch, seq, 1, 0 }
if after < seq then
  if seq - after > tonumber(ARGV[2]) then
    out[3] = 0
  else
    local first = (after + 1) .. '-0'
    local entries = redis.call('XRANGE', log, first, '+', 'COUNT', seq - after)
    if #entries == 0 or entries[1][1] ~= first then
      out[3] = 0
    else
      out[4] = #entries
      for i = 1, #entries do out[#out + 1] = entries[i][2][2] end
    end
  end
end
local limit = tonumber(ARGV[5])
if limit > 0 then
  local keys = redis.call('ZREVRANGE', snapOrder, 0, limit - 1)
  if #keys > 0 then
    local values = redis.call('HMGET', snapValues, unpack(keys))
    for i = 1, #values do
      if values[i] then out[#out + 1] = values[i] end
    end
  end
end
return out
`;

/**
 * KEYS[1] meta, KEYS[2] log, KEYS[3] snapshot order, KEYS[4] snapshot values
 * ARGV[1] the epoch to retire, ARGV[2] the new epoch, ARGV[3] position ttl
 * Returns the channel's epoch afterwards.
 */
export const RESET_EPOCH_SCRIPT = `
local current = redis.call('HGET', KEYS[1], 'e')
if current and current ~= ARGV[1] then return current end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
redis.call('HSET', KEYS[1], 'e', ARGV[2], 's', 0)
redis.call('EXPIRE', KEYS[1], ARGV[3])
return ARGV[2]
`;

export function metaKey(key: string): string {
  return `sb:{${key}}:m`;
}
export function logKey(key: string): string {
  return `sb:{${key}}:l`;
}
export function snapshotOrderKey(key: string): string {
  return `sb:{${key}}:so`;
}
export function snapshotValuesKey(key: string): string {
  return `sb:{${key}}:sv`;
}
export function idempotencyKey(key: string, idempotency: string): string {
  return `sb:{${key}}:i:${idempotency}`;
}
export function liveChannel(key: string): string {
  return `sb:{${key}}:p`;
}
/** Inverse of liveChannel(). */
export function keyOfLiveChannel(channel: string): string | undefined {
  return channel.startsWith('sb:{') && channel.endsWith('}:p') ? channel.slice(4, -3) : undefined;
}
