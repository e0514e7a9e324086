import type { RedisClient } from '../redis/redis-connections.service';
import { PENDING, type PrintDocument, type PrintJob } from './print-job.model';
import type { JobRef, PrintJobStore } from './print-job.store';

/**
 * Every printing key shares the hash tag {pj}: print jobs are few (tickets, not events), and one
 * slot lets each script touch the job, its document, its branch queue and the expiry index at once.
 *   sb:{pj}:job:<company>/<jobId>  hash  v = version, j = job JSON
 *   sb:{pj}:doc:<company>/<jobId>  string  document JSON (deleted once the job leaves the queue)
 *   sb:{pj}:q:<company>/<branch>   zset  pending jobIds by creation order
 *   sb:{pj}:exp                    zset  pending "<company>/<jobId>" by expiresAt
 *   sb:{pj}:order                  counter for creation order
 */
const jobKey = (ref: JobRef) => `sb:{pj}:job:${ref.companyId}/${ref.jobId}`;
const docKey = (ref: JobRef) => `sb:{pj}:doc:${ref.companyId}/${ref.jobId}`;
const queueKey = (companyId: string, branchId: string) => `sb:{pj}:q:${companyId}/${branchId}`;
const EXPIRY = 'sb:{pj}:exp';
const ORDER = 'sb:{pj}:order';

const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return { 0, redis.call('HGET', KEYS[1], 'j') } end
local order = redis.call('INCR', KEYS[5])
redis.call('HSET', KEYS[1], 'v', 1, 'j', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[5])
redis.call('ZADD', KEYS[3], order, ARGV[6])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[3])
return { 1, ARGV[1] }
`;

// Compare-and-set on the version; a job that leaves the queue also leaves the indexes and drops its document.
const UPDATE = `
local version = redis.call('HGET', KEYS[1], 'v')
if not version then return -1 end
if version ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', tonumber(version) + 1, 'j', ARGV[2])
if ARGV[3] == '0' then
  redis.call('ZREM', KEYS[3], ARGV[5])
  redis.call('ZREM', KEYS[4], ARGV[4])
  redis.call('DEL', KEYS[2])
end
return 1
`;

type Client = RedisClient & {
  printJobCreate(...args: (string | number)[]): Promise<[number, string]>;
  printJobUpdate(...args: (string | number)[]): Promise<number>;
};

const MAX_CAS_ATTEMPTS = 8;

export class RedisPrintJobStore implements PrintJobStore {
  private readonly redis: Client;

  constructor(redis: RedisClient) {
    this.redis = redis as Client;
    this.redis.defineCommand('printJobCreate', { numberOfKeys: 5, lua: CREATE });
    this.redis.defineCommand('printJobUpdate', { numberOfKeys: 4, lua: UPDATE });
  }

  async create(job: PrintJob, document: PrintDocument, keepSeconds: number): Promise<{ created: boolean; job: PrintJob }> {
    const [created, stored] = await this.redis.printJobCreate(
      jobKey(job),
      docKey(job),
      queueKey(job.companyId, job.branchId),
      EXPIRY,
      ORDER,
      JSON.stringify(job),
      JSON.stringify(document),
      `${job.companyId}/${job.jobId}`,
      job.expiresAt,
      keepSeconds,
      job.jobId,
    );
    return { created: created === 1, job: JSON.parse(stored) as PrintJob };
  }

  async get(ref: JobRef): Promise<PrintJob | undefined> {
    const json = await this.redis.hget(jobKey(ref), 'j');
    return json ? (JSON.parse(json) as PrintJob) : undefined;
  }

  async document(ref: JobRef): Promise<PrintDocument | undefined> {
    const json = await this.redis.get(docKey(ref));
    return json ? (JSON.parse(json) as PrintDocument) : undefined;
  }

  async pending(companyId: string, branchId: string): Promise<PrintJob[]> {
    const ids = await this.redis.zrange(queueKey(companyId, branchId), '0', '-1');
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const jobId of ids) pipeline.hget(jobKey({ companyId, jobId }), 'j');
    const results = (await pipeline.exec()) ?? [];
    return results
      .map(([, json]) => (typeof json === 'string' ? (JSON.parse(json) as PrintJob) : undefined))
      .filter((job): job is PrintJob => job !== undefined && PENDING.includes(job.status));
  }

  async update(ref: JobRef, change: (job: PrintJob) => PrintJob | undefined): Promise<PrintJob | undefined> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const [version, json] = await this.redis.hmget(jobKey(ref), 'v', 'j');
      if (version === null || json === null) return undefined;
      const next = change(JSON.parse(json) as PrintJob);
      if (!next) return undefined;
      const result = await this.redis.printJobUpdate(
        jobKey(ref),
        docKey(ref),
        queueKey(next.companyId, next.branchId),
        EXPIRY,
        version,
        JSON.stringify(next),
        PENDING.includes(next.status) ? '1' : '0',
        `${ref.companyId}/${ref.jobId}`,
        ref.jobId,
      );
      if (result === 1) return next;
      if (result === -1) return undefined;
      // Another instance changed the job first: re-read and re-decide.
    }
    throw new Error(`print job ${ref.companyId}/${ref.jobId}: too much contention`);
  }

  async expiring(now: number, limit: number): Promise<JobRef[]> {
    const members = await this.redis.zrangebyscore(EXPIRY, '-inf', now, 'LIMIT', 0, limit);
    return members.map((member) => {
      const slash = member.indexOf('/');
      return { companyId: member.slice(0, slash), jobId: member.slice(slash + 1) };
    });
  }
}
