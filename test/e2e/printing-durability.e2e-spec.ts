import { Redis } from 'ioredis';
import { closeAllClients } from '../utils/clients';
import { getJson, postJson } from '../utils/http';
import { TestAgent } from '../utils/printer-agent';
import { RedisServer } from '../utils/redis-server';
import { buildOnce, startServerProcess, type ServerProcess } from '../utils/server-process';
import { createTestApp } from '../utils/test-app';
import { serviceToken, TEST_JWT_SECRET } from '../utils/tokens';

type JobView = { status: string; attempts: number; history: { status: string; detail?: string }[] };

const ticket = (jobId: string, branchId: string) => ({
  jobId,
  branchId,
  document: { contentType: 'text/plain', data: `ticket ${jobId}` },
});

async function statusBecomes(url: string, jobId: string, status: string, timeoutMs = 10_000): Promise<JobView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = (await getJson<JobView>(`${url}/v1/print-jobs/${jobId}`, serviceToken())).body;
    if (view.status === status) return view;
    if (Date.now() > deadline) throw new Error(`${jobId} stayed ${view.status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Jobs live in Redis: they survive restarts and crashes of the instances that handle them. */
describe('print job durability on Redis', () => {
  let redis: RedisServer;
  const env = { PRINT_ACK_TIMEOUT_MS: '500', PRINT_RETRY_BASE_MS: '100', CLUSTER_NODE_TTL_SECONDS: '2', JWT_SECRET: TEST_JWT_SECRET };

  beforeAll(async () => {
    buildOnce();
    redis = await RedisServer.start();
  }, 120_000);
  afterEach(() => closeAllClients());
  afterAll(() => redis.stop());

  it('keeps a queued job across a restart of the only instance', async () => {
    const first = await createTestApp({ ...env, REDIS_URL: redis.url });
    expect((await postJson(`${first.url}/v1/print-jobs`, ticket('restart-1', 'r1'), serviceToken())).status).toBe(202);
    await first.close();

    const second = await createTestApp({ ...env, REDIS_URL: redis.url });
    try {
      const agent = await TestAgent.connect(second.url, { branch: 'r1' });
      await agent.until((a) => a.received('restart-1').length === 1);
      await statusBecomes(second.url, 'restart-1', 'acknowledged');
    } finally {
      await second.close();
    }
  });

  it('redelivers a job held by an instance that crashed (kill -9) through another, once the lease lapses', async () => {
    const survivor = await createTestApp({ ...env, REDIS_URL: redis.url });
    let doomed: ServerProcess | undefined = await startServerProcess({ ...env, REDIS_URL: redis.url });
    try {
      const silent = await TestAgent.connect(doomed.url, { branch: 'crash', policy: 'ignore' });
      await silent.register([{ id: 'p1' }]);
      await postJson(`${survivor.url}/v1/print-jobs`, ticket('crash-1', 'crash'), serviceToken());
      await silent.until((a) => a.received('crash-1').length === 1);
      await doomed.kill9();
      doomed = undefined;

      const rescuer = await TestAgent.connect(survivor.url, { branch: 'crash', sub: 'rescuer' });
      await rescuer.register([{ id: 'p1' }]);
      await rescuer.until((a) => a.received('crash-1').length === 1, 10_000);
      const view = await statusBecomes(survivor.url, 'crash-1', 'acknowledged');
      expect(rescuer.received('crash-1')[0].attempt).toBe(2);
      expect(view.history.filter((h) => h.status === 'acknowledged')).toHaveLength(1);
    } finally {
      await doomed?.kill9();
      await survivor.close();
    }
  }, 60_000);

  it('never redelivers a job acknowledged on one instance, from another or after a restart', async () => {
    const a = await createTestApp({ ...env, REDIS_URL: redis.url });
    const b = await createTestApp({ ...env, REDIS_URL: redis.url });
    try {
      const first = await TestAgent.connect(a.url, { branch: 'once' });
      await first.register([{ id: 'p1' }]);
      await postJson(`${b.url}/v1/print-jobs`, ticket('once-1', 'once'), serviceToken());
      await statusBecomes(b.url, 'once-1', 'acknowledged');
      first.close();
      await a.close();

      const second = await TestAgent.connect(b.url, { branch: 'once', sub: 'second' });
      expect(await second.register([{ id: 'p1' }])).toEqual({ ok: true, pending: 0 });
      // A later job proves the agent is being served, and that once-1 did not come first.
      await postJson(`${b.url}/v1/print-jobs`, ticket('once-2', 'once'), serviceToken());
      await second.until((agent) => agent.received('once-2').length === 1);
      expect(second.received('once-1')).toHaveLength(0);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('moves the jobs of the earlier single-slot key layout on start: queued ones reach the agent in their old order, ended ones stay readable', async () => {
    // What an earlier version left in Redis: every printing key under {pj}.
    const raw = new Redis(redis.url);
    const now = Date.now();
    const job = (jobId: string, status: string) =>
      JSON.stringify({
        jobId,
        companyId: 'legacy-co',
        branchId: 'lg',
        requestedPrinterId: null,
        printerId: null,
        copies: 1,
        orderId: null,
        correlationId: null,
        status,
        attempts: 0,
        createdAt: now,
        expiresAt: now + 3_600_000,
        nextAttemptAt: 0,
        lease: null,
        history: [{ status: 'queued', at: now }],
      });
    try {
      for (const [jobId, status, order] of [
        ['second', 'queued', 2],
        ['first', 'queued', 1],
        ['done', 'printed', 0],
      ] as const) {
        await raw.hset(`sb:{pj}:job:legacy-co/${jobId}`, 'v', '3', 'j', job(jobId, status));
        await raw.expire(`sb:{pj}:job:legacy-co/${jobId}`, 3600);
        if (status !== 'queued') continue;
        await raw.set(`sb:{pj}:doc:legacy-co/${jobId}`, JSON.stringify({ contentType: 'text/plain', data: `ticket ${jobId}` }), 'EX', 3600);
        await raw.zadd('sb:{pj}:q:legacy-co/lg', order, jobId);
        await raw.zadd('sb:{pj}:exp', now + 3_600_000, `legacy-co/${jobId}`);
      }

      const app = await createTestApp({ ...env, REDIS_URL: redis.url });
      try {
        const agent = await TestAgent.connect(app.url, { company: 'legacy-co', branch: 'lg' });
        await agent.register([{ id: 'p1' }]);
        await agent.until((a) => a.jobs.length === 2, 10_000);
        expect(agent.jobs.map((received) => received.jobId)).toEqual(['first', 'second']);
        expect((await getJson<JobView>(`${app.url}/v1/print-jobs/done`, serviceToken('legacy-co'))).body).toMatchObject({
          status: 'printed',
        });
        expect(await raw.keys('sb:{pj}:job:*')).toEqual([]);
        expect(await raw.zcard('sb:{pj}:exp')).toBe(0);
      } finally {
        await app.close();
      }
    } finally {
      raw.disconnect();
    }
  });
});
