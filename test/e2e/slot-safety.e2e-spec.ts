import { Redis } from 'ioredis';
import { closeAllClients, connect } from '../utils/clients';
import { orderUpdated, postJson, publish, publishBatch } from '../utils/http';
import { TestAgent } from '../utils/printer-agent';
import { ClusterTopology } from '../utils/redis-cluster';
import { createTestApp, type TestApp } from '../utils/test-app';
import { serviceToken, staffToken } from '../utils/tokens';

/** The hash tag Redis Cluster hashes: the text between the first `{` and the next `}`, when not empty. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = open === -1 ? -1 : key.indexOf('}', open + 1);
  return open !== -1 && close > open + 1 ? key.slice(open + 1, close) : key;
}

/**
 * Redis Cluster refuses a script whose keys live in more than one slot. Every script call the
 * application makes, in every feature that uses Redis, is watched on every master (MONITOR) while
 * the features run, and the keys of each call must share one hash tag.
 */
describe('every Redis script touches one slot (Redis Cluster)', () => {
  let cluster: ClusterTopology;
  let app: TestApp;
  const monitors: Redis[] = [];
  const calls: string[][] = [];
  let seen: { predicate: (args: string[]) => boolean; resolve: () => void } | undefined;
  /** Resolves once MONITOR has shown a script call matching `predicate` (they arrive after the replies). */
  const monitored = (predicate: (args: string[]) => boolean) =>
    new Promise<void>((resolve) => {
      if (calls.some(predicate)) resolve();
      else seen = { predicate, resolve };
    });

  beforeAll(async () => {
    cluster = await ClusterTopology.start();
    for (const port of (await cluster.masters()).keys()) {
      const monitor = new Redis({ port, host: '127.0.0.1' });
      const feed = await monitor.monitor();
      feed.on('monitor', (_time: string, args: string[]) => {
        if (!/^(eval|evalsha|fcall)$/i.test(args[0])) return;
        calls.push(args);
        if (seen?.predicate(args)) seen.resolve();
      });
      monitors.push(monitor, feed);
    }
    app = await createTestApp({ ...cluster.env, CLUSTER_NODE_TTL_SECONDS: '2' });
  }, 90_000);
  afterAll(async () => {
    closeAllClients();
    await app?.close();
    for (const monitor of monitors) monitor.disconnect();
    await cluster?.stop();
  });

  it('publish (single and across channels), replay, presence, print jobs and revocations', async () => {
    const dashboard = await connect(app.url, '/orders', { token: staffToken('acme', ['b1', 'b2', 'b3']) });
    const { epoch } = await dashboard.subscribe('branch:b1');
    expect((await publish(app.url, orderUpdated('branch:b1', 'o-1'))).status).toBe(202);
    const batch = await publishBatch(app.url, [
      orderUpdated('branch:b1', 'o-2'),
      orderUpdated('branch:b2', 'o-3'),
      orderUpdated('branch:b3', 'o-4'),
    ]);
    expect(batch.status).toBe(202);
    const back = await connect(app.url, '/orders', { token: staffToken('acme', ['b1']) });
    expect(await back.subscribe('branch:b1', { epoch, seq: 0 })).toMatchObject({ ok: true, recovered: true, missed: 2 });

    const present = await connect(app.url, '/presence', { token: staffToken('acme', ['b1'], 'user-p') });
    expect(await present.subscribe('branch:b1')).toMatchObject({ ok: true });
    expect(await present.emitAck('presence:update', { status: 'busy', view: 'orders' })).toMatchObject({ ok: true });
    expect(await present.emitAck('presence:heartbeat', {})).toMatchObject({ ok: true });
    expect(await present.emitAck('presence:list', { channel: 'branch:b1' })).toMatchObject({ ok: true });

    const agent = await TestAgent.connect(app.url, { branch: 'b1' });
    await agent.register([{ id: 'p1' }]);
    const created = await postJson(
      `${app.url}/v1/print-jobs`,
      { jobId: 'slot-1', branchId: 'b1', document: { contentType: 'text/plain', data: 'ticket' } },
      serviceToken(),
    );
    expect(created.status).toBe(202);
    await agent.until((a) => a.jobs.length === 1, 10_000);
    expect(await agent.report('slot-1', 'printed')).toMatchObject({ ok: true });
    expect((await postJson(`${app.url}/v1/admin/revoke`, { companyId: 'acme', userId: 'user-gone' }, serviceToken())).status).toBe(202);

    await monitored((args) => args.some((arg) => arg.includes('"jobId":"slot-1"') && arg.includes('"status":"printed"')));
    expect(calls.length).toBeGreaterThan(10);
    const keysOf = (args: string[]) => args.slice(3, 3 + Number(args[2]));
    const crossing = calls.map(keysOf).filter((keys) => new Set(keys.map(hashTag)).size > 1);
    expect(crossing).toEqual([]);
  }, 60_000);
});
