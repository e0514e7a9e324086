import { untilReplicated } from '../redis/replica-ack';
import type { RedisClient } from '../redis/redis-client';
import { PENDING, type PrintDocument, type PrintJob } from './print-job.model';
import type { JobRef, PrintJobStore } from './print-job.store';

/**
 * A company's print jobs share the hash tag {pj:<company>}: one script touches a job, its
 * document, its branch queue and its company's expiry index at once, and on Redis Cluster the
 * companies spread over the masters. Not per branch: a job is found by company and jobId (its id
 * is unique per company), which a branch tag could not give without a second, cross-slot lookup.
 *   sb:{pj:<company>}:job:<jobId>  hash  v = version, j = job JSON
 *   sb:{pj:<company>}:doc:<jobId>  string  document JSON (kept PRINT_DOCUMENT_RETENTION_SECONDS once
 *                                          the job leaves the queue, for a resend)
 *   sb:{pj:<company>}:q:<branch>   zset  pending jobIds by creation order
 *   sb:{pj:<company>}:exp          zset  pending jobIds by expiresAt
 *   sb:{pj:<company>}:order        counter for creation order
 *   sb:pj:companies                zset  companies with print jobs, by their last job's creation
 *                                        (what the expiry sweep walks)
 */
const tag = (companyId: string) => `sb:{pj:${companyId}}`;
const jobKey = (ref: JobRef) => `${tag(ref.companyId)}:job:${ref.jobId}`;
const docKey = (ref: JobRef) => `${tag(ref.companyId)}:doc:${ref.jobId}`;
const queueKey = (companyId: string, branchId: string) => `${tag(companyId)}:q:${branchId}`;
const expiryKey = (companyId: string) => `${tag(companyId)}:exp`;
const orderKey = (companyId: string) => `${tag(companyId)}:order`;
const COMPANIES = 'sb:pj:companies';
/** The single-slot layout of earlier versions (see migrate). */
const LEGACY = 'sb:{pj}';
const LEGACY_DEFAULT_KEEP_SECONDS = 7 * 86400;
/** A company whose last job is this old and has nothing pending leaves the sweep's list. */
const COMPANY_IDLE_MS = 24 * 3600_000;
/** Companies swept at once (one round trip each, to the master that owns the company). */
const SWEEP_CONCURRENCY = 16;

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

// Compare-and-set on the version. A job that leaves the queue also leaves the indexes, and its
// document is given ARGV[6] seconds more for a resend (dropped at once for 0). Only on leaving:
// a later change to an ended job (a resend's note) must not lengthen its document's life.
const UPDATE = `
local version = redis.call('HGET', KEYS[1], 'v')
if not version then return -1 end
if version ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', tonumber(version) + 1, 'j', ARGV[2])
if ARGV[3] == '0' then
  local left = redis.call('ZREM', KEYS[3], ARGV[5]) + redis.call('ZREM', KEYS[4], ARGV[4])
  if left > 0 then
    if ARGV[6] == '0' then redis.call('DEL', KEYS[2]) else redis.call('EXPIRE', KEYS[2], ARGV[6]) end
  end
end
return 1
`;

// Removes a company from the list only if its listing is older than ARGV[2] (no job since).
const FORGET_IDLE_COMPANY = `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) < tonumber(ARGV[2]) then return redis.call('ZREM', KEYS[1], ARGV[1]) end
return 0
`;

type Client = RedisClient & {
  printJobCreate(...args: (string | number)[]): Promise<[number, string]>;
  printJobUpdate(...args: (string | number)[]): Promise<number>;
  forgetIdleCompany(...args: (string | number)[]): Promise<number>;
};

const MAX_CAS_ATTEMPTS = 8;

export class RedisPrintJobStore implements PrintJobStore {
  private readonly redis: Client;

  constructor(
    redis: RedisClient,
    /** Sentinel: a failover is under way; writes would reach a master about to be demoted. */
    private readonly writesHeld: () => boolean = () => false,
    /** REDIS_REPLICA_ACK_MS: a created job is answered once a replica holds it (see untilReplicated). */
    private readonly replicaAckMs = 0,
    /** PRINT_DOCUMENT_RETENTION_SECONDS: a document outlives its job's time in the queue by this much. */
    private readonly documentRetentionSeconds = 0,
  ) {
    this.redis = redis as Client;
    this.redis.defineCommand('printJobCreate', { numberOfKeys: 5, lua: CREATE });
    this.redis.defineCommand('printJobUpdate', { numberOfKeys: 4, lua: UPDATE });
    this.redis.defineCommand('forgetIdleCompany', { numberOfKeys: 1, lua: FORGET_IDLE_COMPANY });
  }

  async create(job: PrintJob, document: PrintDocument, keepSeconds: number): Promise<{ created: boolean; job: PrintJob }> {
    this.refuseDuringFailover();
    // Listed before the job exists, so the sweep can never miss a company with a pending job
    // (a crash in between leaves a listed company with nothing pending, which the sweep drops).
    await this.redis.zadd(COMPANIES, Date.now(), job.companyId);
    const [created, stored] = await this.redis.printJobCreate(
      jobKey(job),
      docKey(job),
      queueKey(job.companyId, job.branchId),
      expiryKey(job.companyId),
      orderKey(job.companyId),
      JSON.stringify(job),
      JSON.stringify(document),
      job.jobId,
      job.expiresAt,
      keepSeconds,
      job.jobId,
    );
    // Also for a jobId already known: the first attempt may have been refused for this very reason.
    await untilReplicated(this.redis, jobKey(job), this.replicaAckMs);
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
    this.refuseDuringFailover();
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const [version, json] = await this.redis.hmget(jobKey(ref), 'v', 'j');
      if (version === null || json === null) return undefined;
      const next = change(JSON.parse(json) as PrintJob);
      if (!next) return undefined;
      const result = await this.redis.printJobUpdate(
        jobKey(ref),
        docKey(ref),
        queueKey(next.companyId, next.branchId),
        expiryKey(ref.companyId),
        version,
        JSON.stringify(next),
        PENDING.includes(next.status) ? '1' : '0',
        ref.jobId,
        ref.jobId,
        this.documentRetentionSeconds,
      );
      if (result === 1) return next;
      if (result === -1) return undefined;
      // Another instance changed the job first: re-read and re-decide.
    }
    throw new Error(`print job ${ref.companyId}/${ref.jobId}: too much contention`);
  }

  private refuseDuringFailover(): void {
    if (this.writesHeld()) throw new Error('a Redis failover is under way; print job writes wait for the new master');
  }

  /** Walks the companies with print jobs (a few at a time), each one's expiry index on its own slot. */
  async expiring(now: number, limit: number): Promise<JobRef[]> {
    const companies = await this.redis.zrange(COMPANIES, '0', '-1');
    const found: JobRef[] = [];
    for (let i = 0; i < companies.length && found.length < limit; i += SWEEP_CONCURRENCY) {
      const batch = companies.slice(i, i + SWEEP_CONCURRENCY);
      const results = await Promise.all(
        batch.map(async (companyId) => ({
          companyId,
          jobIds: await this.redis.zrangebyscore(expiryKey(companyId), '-inf', now, 'LIMIT', 0, limit),
        })),
      );
      for (const { companyId, jobIds } of results) for (const jobId of jobIds) found.push({ companyId, jobId });
    }
    void this.forgetIdleCompanies(companies, now).catch(() => undefined);
    return found.slice(0, limit);
  }

  /**
   * Drops companies with nothing pending whose last job is a day old. A job created meanwhile
   * re-lists its company before it exists (create), and the removal only takes a company whose
   * listing is still old, so a pending job is never left unlisted.
   */
  private async forgetIdleCompanies(companies: readonly string[], now: number): Promise<void> {
    for (const companyId of companies) {
      if ((await this.redis.zcard(expiryKey(companyId))) > 0) continue;
      await this.redis.forgetIdleCompany(COMPANIES, companyId, now - COMPANY_IDLE_MS);
    }
  }

  /**
   * Before per-company slots, every printing key shared {pj}. Those jobs move here at start:
   * pending ones in their old queue order (a kitchen's tickets keep their order), the rest as
   * records for GET, each with the time it had left. Runs on every start and finds nothing once
   * done; two nodes starting together both move a job at most once (create keeps the first).
   */
  async migrate(): Promise<number> {
    if ((this.redis as { isCluster?: boolean }).isCluster) return 0; // no earlier version ran on Cluster
    const legacy: { key: string; ref: JobRef; job: PrintJob; ttl: number; document: string | null; order: number }[] = [];
    let cursor = '0';
    for (let round = 0; round < 100_000; round++) {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${LEGACY}:job:*`, 'COUNT', 500);
      for (const key of keys) {
        const name = key.slice(`${LEGACY}:job:`.length);
        const slash = name.indexOf('/');
        const ref = { companyId: name.slice(0, slash), jobId: name.slice(slash + 1) };
        const [json, ttl, document] = await Promise.all([
          this.redis.hget(key, 'j'),
          this.redis.ttl(key),
          this.redis.get(`${LEGACY}:doc:${name}`),
        ]);
        if (json === null) continue;
        const job = JSON.parse(json) as PrintJob;
        const order = Number((await this.redis.zscore(`${LEGACY}:q:${ref.companyId}/${job.branchId}`, ref.jobId)) ?? 0);
        legacy.push({ key, ref, job, ttl: ttl > 0 ? ttl : LEGACY_DEFAULT_KEEP_SECONDS, document, order });
      }
      cursor = next;
      if (cursor === '0') break;
    }
    legacy.sort((a, b) => a.order - b.order);
    for (const { key, ref, job, ttl, document } of legacy) {
      if (PENDING.includes(job.status) && document !== null) {
        await this.create(job, JSON.parse(document) as PrintDocument, ttl);
      } else {
        await this.redis.zadd(COMPANIES, Date.now(), ref.companyId);
        await this.redis.hsetnx(jobKey(ref), 'j', JSON.stringify(job));
        await this.redis.hsetnx(jobKey(ref), 'v', '1');
        await this.redis.expire(jobKey(ref), ttl);
      }
      const name = `${ref.companyId}/${ref.jobId}`;
      await this.redis.del(key, `${LEGACY}:doc:${name}`);
      await this.redis.zrem(`${LEGACY}:q:${ref.companyId}/${job.branchId}`, ref.jobId);
      await this.redis.zrem(`${LEGACY}:exp`, name);
    }
    return legacy.length;
  }
}
