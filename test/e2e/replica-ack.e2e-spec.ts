import { getJson, postJson } from '../utils/http';
import { DEBUG_ARGS, RedisServer, replicasFallBehind, withRedis } from '../utils/redis-server';
import { createTestApp, type TestApp } from '../utils/test-app';
import { adminToken, serviceToken } from '../utils/tokens';

const job = (jobId: string) => ({ jobId, branchId: 'b1', document: { contentType: 'text/plain', data: `ticket ${jobId}` } });
/** Where the Redis print job store keeps a job of company acme (src/printing/redis-print-job.store.ts). */
const jobKey = (jobId: string) => `sb:{pj:acme}:job:${jobId}`;

// Print jobs and revocations are state whose loss in a failover nobody would be told of, so they
// are answered only once a replica holds them (REDIS_REPLICA_ACK_MS, docs/guarantees.md).
describe('state that must survive a failover waits for a replica (REDIS_REPLICA_ACK_MS)', () => {
  let master: RedisServer;
  let replica: RedisServer;
  let app: TestApp;

  beforeAll(async () => {
    master = await RedisServer.start({ args: DEBUG_ARGS });
    replica = await RedisServer.start({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
    await withRedis(master.port, async (client) => {
      for (let i = 0; !/slave0:.*state=online/.test(await client.info('replication')); i++) {
        if (i === 400) throw new Error('the replica did not come online within 20 s');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    });
    // 2 s, not less: on a loaded CI machine a healthy replica's confirmation once took over 300 ms,
    // and the refusal case below waits the whole window per request.
    app = await createTestApp({ REDIS_URL: master.url, REDIS_REPLICA_ACK_MS: '2000' });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await replica?.stop();
    await master?.stop();
  });

  it('answers a print job and a revocation once the replica holds them', async () => {
    // Status and body together, so that a refusal shows its reason.
    const created = await postJson(`${app.url}/v1/print-jobs`, job('r-1'), serviceToken());
    expect({ status: created.status, body: created.body }).toMatchObject({ status: 202 });
    expect(await withRedis(replica.port, (client) => client.exists(jobKey('r-1')))).toBe(1);
    expect((await postJson(`${app.url}/v1/admin/revoke`, { companyId: 'acme', userId: 'gone-1' }, adminToken())).status).toBe(202);
  });

  it('refuses them (503, retry) while the replica is not receiving writes, instead of accepting what a failover would lose', async () => {
    await replicasFallBehind(master.port);
    const created = await postJson<{ error: { code: string; message: string } }>(`${app.url}/v1/print-jobs`, job('r-2'), serviceToken());
    expect(created.status).toBe(503);
    expect(created.body.error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('replica') });
    const revoked = await postJson<{ error: { code: string } }>(
      `${app.url}/v1/admin/revoke`,
      { companyId: 'acme', userId: 'gone-2' },
      adminToken(),
    );
    expect(revoked.status).toBe(503);
    expect(revoked.body.error.code).toBe('UNAVAILABLE');
    // Reads are not held back.
    expect((await getJson(`${app.url}/v1/print-jobs/r-1`, serviceToken())).status).toBe(200);
  });
});

describe('REDIS_REPLICA_ACK_MS with a master that has no replica', () => {
  let lone: RedisServer;
  let app: TestApp;

  beforeAll(async () => {
    lone = await RedisServer.start();
    app = await createTestApp({ REDIS_URL: lone.url, REDIS_REPLICA_ACK_MS: '30000' });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await lone?.stop();
  });

  it('does not wait: nothing could be promoted, so nothing is at risk', async () => {
    expect((await postJson(`${app.url}/v1/print-jobs`, job('l-1'), serviceToken())).status).toBe(202);
    // A WAIT for a replica that does not exist would hold every request for the whole 30 s.
    const stats = await withRedis(lone.port, (client) => client.info('commandstats'));
    expect(stats).not.toContain('cmdstat_wait:');
  });
});
