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
 * Publish to c channels in one atomic step: per channel, seq, history, snapshot and fan-out
 * happen together, so no crash can leave a seq without history or a delivered event without a
 * seq. One call carries a whole publish request (one round trip and one reply, however many
 * channels it touches); on Redis Cluster, where a script may only touch one slot, the engine
 * calls it once per channel. Arguments are kept few (two per event) because the client's cost
 * grows with their count.
 *
 * KEYS: per channel j, KEYS[4j-3..4j] = meta, log, snapshot order (zset), snapshot values (hash);
 * after them, the idempotency keys of all channels. The pub/sub channel is derived from the meta key.
 * ARGV[1] "1" for SPUBLISH, ARGV[2] idempotency ttl, ARGV[3] snapshot limit, ARGV[4] history size,
 * ARGV[5] history ttl, ARGV[6] position ttl, ARGV[7] c, then per channel: the epoch to use if the
 * channel is new, n, then per event: options ("" for none, else "<idempotency KEYS index, 0 =
 * none>|<id>|<snapshot key>") and the envelope head (the JSON object without its closing brace;
 * seq and epoch are appended here).
 *
 * Returns, per channel, its epoch and then per event either its new seq (an integer) or, for a
 * duplicate idempotency key, the original "<epoch>|<seq>|<id>" (a string).
 */
export const PUBLISH_SCRIPT = `
local sharded, idemTtl, snapLimit = ARGV[1] == '1', ARGV[2], tonumber(ARGV[3])
local historySize, historyTtl, positionTtl = ARGV[4], ARGV[5], ARGV[6]
local results = {}
local r = 0
local p = 8
for c = 1, tonumber(ARGV[7]) do
  local meta, log, snapOrder, snapValues = KEYS[4 * c - 3], KEYS[4 * c - 2], KEYS[4 * c - 1], KEYS[4 * c]
  local n = tonumber(ARGV[p + 1])
  local position = redis.call('HMGET', meta, 'e', 's')
  local epoch, seq = position[1], tonumber(position[2]) or 0
  if not epoch then
    epoch = ARGV[p]
    seq = 0
    -- A new epoch starts a new history; stale entries would collide with seq ids from 1.
    redis.call('DEL', log, snapOrder, snapValues)
  end
  p = p + 2
  r = r + 1
  results[r] = epoch
  local tail = ',"epoch":"' .. epoch .. '"}'
  local published = {}
  local snapshotted = false
  for i = 1, n do
    local options, head = ARGV[p], ARGV[p + 1]
    p = p + 2
    local idem, id, snapKey = 0, nil, ''
    if options ~= '' then
      local index
      index, id, snapKey = string.match(options, '^(%d+)|([^|]*)|(.*)$')
      idem = tonumber(index)
    end
    local prior = false
    if idem > 0 then prior = redis.call('GET', KEYS[idem]) end
    r = r + 1
    if prior then
      results[r] = prior
    else
      seq = seq + 1
      local envelope = head .. ',"seq":' .. seq .. tail
      redis.call('XADD', log, 'MAXLEN', '~', historySize, seq .. '-0', 'e', envelope)
      if snapKey ~= '' then
        redis.call('ZADD', snapOrder, seq, snapKey)
        redis.call('HSET', snapValues, snapKey, envelope)
        snapshotted = true
      end
      if idem > 0 then redis.call('SET', KEYS[idem], epoch .. '|' .. seq .. '|' .. id, 'EX', idemTtl) end
      results[r] = seq
      published[#published + 1] = envelope
    end
  end
  if #published > 0 then
    redis.call('HSET', meta, 'e', epoch, 's', seq)
    redis.call('EXPIRE', log, historyTtl)
    redis.call('EXPIRE', meta, positionTtl)
    if snapshotted then
      local excess = redis.call('ZCARD', snapOrder) - snapLimit
      if excess > 0 then
        local oldest = redis.call('ZRANGE', snapOrder, 0, excess - 1)
        redis.call('HDEL', snapValues, unpack(oldest))
        redis.call('ZREMRANGEBYRANK', snapOrder, 0, excess - 1)
      end
      redis.call('EXPIRE', snapOrder, positionTtl)
      redis.call('EXPIRE', snapValues, positionTtl)
    end
    local live = string.sub(meta, 1, -2) .. 'p'
    local message = '[' .. table.concat(published, ',') .. ']'
    if sharded then
      redis.call('SPUBLISH', live, message)
    else
      redis.call('PUBLISH', live, message)
    end
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
/** The publish script derives this from metaKey() (its last character, m, becomes p): keep them in step. */
export function liveChannel(key: string): string {
  return `sb:{${key}}:p`;
}
/** Inverse of liveChannel(). */
export function keyOfLiveChannel(channel: string): string | undefined {
  return channel.startsWith('sb:{') && channel.endsWith('}:p') ? channel.slice(4, -3) : undefined;
}
