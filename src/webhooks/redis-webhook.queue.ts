import { Logger } from '@nestjs/common';
import type { RedisClient } from '../redis/redis-client';
import { untilReplicated } from '../redis/replica-ack';
import type { ClaimedDelivery, DeadLetter, WebhookDelivery } from './webhook.model';
import { DEDUPE_MS, type WebhookQueue } from './webhook-queue';

/**
 * All webhook keys share the hash tag {wh}, so every script runs on one slot (one master on
 * Redis Cluster; webhooks are operator events, a few per second at most, so one shard is plenty).
 *   sb:{wh}:seen:<event id>  string  dedupe marker, PX DEDUPE_MS
 *   sb:{wh}:jobs             hash    delivery id → delivery JSON
 *   sb:{wh}:due              zset    delivery id by due time (a claim pushes it past a lease)
 *   sb:{wh}:attempts         hash    delivery id → sends started
 *   sb:{wh}:dead             hash    delivery id → dead letter JSON
 *   sb:{wh}:dead:order       zset    dead delivery ids by failure time
 */
const TAG = 'sb:{wh}';
const JOBS = `${TAG}:jobs`;
const DUE = `${TAG}:due`;
const ATTEMPTS = `${TAG}:attempts`;
const DEAD = `${TAG}:dead`;
const DEAD_ORDER = `${TAG}:dead:order`;
const seenKey = (eventId: string) => `${TAG}:seen:${eventId}`;

const ENQUEUE = `
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return 0 end
for i = 3, #ARGV, 2 do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  redis.call('ZADD', KEYS[3], ARGV[2], ARGV[i])
end
return 1
`;

// Due deliveries move past the lease and count an attempt; ids without a job (completed by a
// slower sender meanwhile) are dropped from the schedule.
const CLAIM = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(ids) do
  local job = redis.call('HGET', KEYS[2], id)
  if job then
    redis.call('ZADD', KEYS[1], ARGV[2], id)
    out[#out + 1] = job
    out[#out + 1] = redis.call('HINCRBY', KEYS[3], id, 1)
  else
    redis.call('ZREM', KEYS[1], id)
    redis.call('HDEL', KEYS[3], id)
  end
end
return out
`;

const COMPLETE = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return 1
`;

// Only a delivery still queued is dead-lettered: another sender may have got it through meanwhile.
const DEAD_LETTER = `
if redis.call('HDEL', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HSET', KEYS[4], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[5], ARGV[3], ARGV[1])
local excess = redis.call('ZCARD', KEYS[5]) - tonumber(ARGV[4])
if excess > 0 then
  local old = redis.call('ZRANGE', KEYS[5], 0, excess - 1)
  redis.call('HDEL', KEYS[4], unpack(old))
  redis.call('ZREMRANGEBYRANK', KEYS[5], 0, excess - 1)
end
return 1
`;

const REPLAY = `
local letter = redis.call('HGET', KEYS[1], ARGV[1])
if not letter then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], letter)
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[1])
redis.call('HDEL', KEYS[5], ARGV[1])
return 1
`;

type Client = RedisClient & {
  webhookEnqueue(...args: (string | number)[]): Promise<number>;
  webhookClaim(...args: (string | number)[]): Promise<(string | number)[]>;
  webhookComplete(...args: (string | number)[]): Promise<number>;
  webhookDeadLetter(...args: (string | number)[]): Promise<number>;
  webhookReplay(...args: (string | number)[]): Promise<number>;
};

/** Reads a stored delivery field by field: a dead letter's extra fields never leak into a send. */
function delivery(json: string): WebhookDelivery {
  const { id, eventId, type, companyId, url, body } = JSON.parse(json) as WebhookDelivery;
  return { id, eventId, type, companyId, url, body };
}

export class RedisWebhookQueue implements WebhookQueue {
  private readonly logger = new Logger('Webhooks');
  private readonly redis: Client;

  constructor(
    redis: RedisClient,
    private readonly dedupeMs = DEDUPE_MS,
    /** Sentinel: a failover is under way; a queued event would reach a master about to be demoted. */
    private readonly writesHeld: () => boolean = () => false,
    /** REDIS_REPLICA_ACK_MS: a queued event waits for a replica, as print jobs do (untilReplicated). */
    private readonly replicaAckMs = 0,
  ) {
    this.redis = redis as Client;
    this.redis.defineCommand('webhookEnqueue', { numberOfKeys: 3, lua: ENQUEUE });
    this.redis.defineCommand('webhookClaim', { numberOfKeys: 3, lua: CLAIM });
    this.redis.defineCommand('webhookComplete', { numberOfKeys: 3, lua: COMPLETE });
    this.redis.defineCommand('webhookDeadLetter', { numberOfKeys: 5, lua: DEAD_LETTER });
    this.redis.defineCommand('webhookReplay', { numberOfKeys: 5, lua: REPLAY });
  }

  async enqueue(eventId: string, deliveries: readonly WebhookDelivery[], now: number): Promise<boolean> {
    // Thrown, the event waits in the emitter's buffer and is queued after the failover.
    if (this.writesHeld()) throw new Error('a Sentinel failover is under way');
    const pairs = deliveries.flatMap((item) => [item.id, JSON.stringify(item)]);
    const queued = (await this.redis.webhookEnqueue(seenKey(eventId), JOBS, DUE, this.dedupeMs, now, ...pairs)) === 1;
    if (queued) {
      // Not thrown: the event is queued on the master either way, and a second enqueue would only be a duplicate.
      await untilReplicated(this.redis, JOBS, this.replicaAckMs).catch((error: Error) =>
        this.logger.warn(`webhook ${eventId}: ${error.message}; a failover now could lose it`),
      );
    }
    return queued;
  }

  async claim(now: number, leaseUntil: number, limit: number): Promise<ClaimedDelivery[]> {
    const flat = await this.redis.webhookClaim(DUE, JOBS, ATTEMPTS, now, leaseUntil, limit);
    const claimed: ClaimedDelivery[] = [];
    for (let i = 0; i < flat.length; i += 2) claimed.push({ ...delivery(String(flat[i])), attempt: Number(flat[i + 1]) });
    return claimed;
  }

  async complete(id: string): Promise<void> {
    await this.redis.webhookComplete(DUE, JOBS, ATTEMPTS, id);
  }

  async retry(id: string, dueAt: number): Promise<void> {
    // XX: a delivery completed by another sender meanwhile stays completed.
    await this.redis.zadd(DUE, 'XX', dueAt, id);
  }

  async deadLetter(letter: DeadLetter, max: number): Promise<void> {
    await this.redis.webhookDeadLetter(DUE, JOBS, ATTEMPTS, DEAD, DEAD_ORDER, letter.id, JSON.stringify(letter), letter.failedAt, max);
  }

  async deadLetters(limit: number): Promise<DeadLetter[]> {
    const ids = await this.redis.zrevrange(DEAD_ORDER, 0, limit - 1);
    if (ids.length === 0) return [];
    const letters = await this.redis.hmget(DEAD, ...ids);
    return letters.filter((json): json is string => json !== null).map((json) => JSON.parse(json) as DeadLetter);
  }

  async replay(id: string, now: number): Promise<boolean> {
    return (await this.redis.webhookReplay(DEAD, DEAD_ORDER, JOBS, DUE, ATTEMPTS, id, now)) === 1;
  }

  depth(): Promise<number> {
    return this.redis.zcard(DUE);
  }
}
