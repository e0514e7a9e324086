import type { AdminStatsPayload, AdminTrendPayload, PlatformView } from '../../src/admin/admin.events';
import { closeAllClients, connect, connectError, type TestClient } from '../utils/clients';
import { eventually } from '../utils/eventually';
import { getJson, orderUpdated, postJson, publish } from '../utils/http';
import { PlainWsClient } from '../utils/plain-ws';
import { closeSdkClients, nextState, sdkClient } from '../utils/sdk';
import { SseClient } from '../utils/sse-client';
import { RedisServer } from '../utils/redis-server';
import { createTestApp, type TestApp } from '../utils/test-app';
import { adminToken, serviceToken, staffToken } from '../utils/tokens';

function latest(client: TestClient): AdminStatsPayload | undefined {
  const stats = client.events.filter(([event]) => event === 'admin:stats');
  return stats[stats.length - 1]?.[1] as AdminStatsPayload | undefined;
}

const total = (stats: AdminStatsPayload | undefined) =>
  (stats?.nodes ?? []).reduce((sum, node) => sum + Object.values(node.connections).reduce((a, b) => a + b, 0), 0);

/** /admin-ws across two nodes on one Redis: cluster-wide numbers, one company per admin. */
describe('/admin-ws', () => {
  let redis: RedisServer;
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    redis = await RedisServer.start();
    a = await createTestApp({ REDIS_URL: redis.url, NODE_ID: 'node-a' });
    b = await createTestApp({ REDIS_URL: redis.url, NODE_ID: 'node-b' });
  });
  afterAll(async () => {
    closeAllClients();
    closeSdkClients();
    await a.close();
    await b.close();
    await redis.stop();
  });

  it('admits admins only', async () => {
    expect((await connectError(a.url, '/admin-ws', { token: staffToken('acme') })).message).toBe('FORBIDDEN');
  });

  it("shows the admin company's connections on every node, and nothing of other companies", async () => {
    const acme = await connect(a.url, '/admin-ws', { token: adminToken('acme') });
    const beta = await connect(b.url, '/admin-ws', { token: adminToken('beta') });
    await connect(b.url, '/orders', { token: staffToken('acme') });
    await connect(b.url, '/availability', { token: staffToken('acme') });
    await connect(a.url, '/orders', { token: staffToken('beta') });
    // acme: its admin on node-a plus two clients on node-b, seen from node-a.
    await acme.until((c) => total(latest(c)) === 3 && (latest(c)?.nodes.length ?? 0) === 2, 10_000);
    expect(latest(acme)?.nodes).toEqual([
      { node: 'node-a', connections: { '/admin-ws': 1 } },
      { node: 'node-b', connections: { '/orders': 1, '/availability': 1 } },
    ]);
    await beta.until((c) => total(latest(c)) === 2, 10_000);
    expect(latest(beta)).toMatchObject({ companyId: 'beta' });
    expect(JSON.stringify(latest(beta))).not.toContain('acme');
  }, 30_000);

  it('sends the last 15 minutes as points of 10 s, counting what every node saw once, and only to its company', async () => {
    const admin = await connect(a.url, '/admin-ws', { token: adminToken('acme', 'boss') });
    const beta = await connect(b.url, '/admin-ws', { token: adminToken('beta', 'other') });
    const follower = await connect(b.url, '/orders', { token: staffToken('acme', ['b1'], 'trend-follower') });
    expect(await follower.subscribe('branch:b1')).toMatchObject({ ok: true });
    const trends = (client: TestClient) =>
      client.events.filter(([event]) => event === 'admin:trend').map(([, payload]) => payload as AdminTrendPayload);
    // On connect, whatever history this node has.
    await admin.until((c) => trends(c).length === 1);
    expect(trends(admin)[0]).toMatchObject({ companyId: 'acme', bucketSeconds: 10 });

    // 10 events through each node.
    for (let i = 0; i < 10; i++) {
      expect((await publish(a.url, orderUpdated('branch:b1', `trend-a-${i}`))).status).toBe(202);
      expect((await publish(b.url, orderUpdated('branch:b1', `trend-b-${i}`))).status).toBe(202);
    }
    await follower.until(
      (c) => c.envelopes().filter((e) => String((e.data as { orderId: string }).orderId).startsWith('trend-')).length === 20,
    );
    // Rates × the bucket add up to the 20 published, once each (not twice: both nodes hear every report).
    const publishedIn = (payload: AdminTrendPayload) =>
      payload.points.reduce((sum, point) => sum + point.publishedPerSecond * payload.bucketSeconds, 0);
    const latest = () => trends(admin)[trends(admin).length - 1];
    await admin.until(() => publishedIn(latest()) >= 19.5, 25_000);
    const withTraffic = latest().points.filter((point) => point.publishedPerSecond > 0);
    expect(publishedIn(latest())).toBeLessThan(20.5);
    expect(withTraffic.every((point) => point.deliveredPerSecond > 0 && typeof point.p99Ms === 'number')).toBe(true);
    expect(latest().points[latest().points.length - 1].connections['/orders']).toBeGreaterThanOrEqual(1);
    // Another company's admin sees none of acme's traffic.
    expect(
      trends(beta)
        .flatMap((payload) => payload.points)
        .every((point) => point.publishedPerSecond === 0),
    ).toBe(true);
  }, 40_000);

  it('gives a platform admin every company at a glance over HTTP, cluster-wide, and nobody else', async () => {
    await connect(a.url, '/orders', { token: staffToken('plat-1', ['b1'], 'u1') });
    await connect(b.url, '/orders', { token: staffToken('plat-1', ['b1'], 'u2') });
    await connect(b.url, '/presence', { token: staffToken('plat-1', ['b1'], 'u2') });
    await connect(a.url, '/orders', { token: staffToken('plat-2', ['b1'], 'u3') });
    const platform = adminToken('*', 'root');
    let view: PlatformView | undefined;
    const row = (companyId: string) => view?.companies.find((company) => company.companyId === companyId);
    // Snapshots travel once a second: read until both nodes' have arrived.
    await eventually(
      'both nodes in the platform view',
      async () => {
        view = (await getJson<PlatformView>(`${a.url}/v1/admin/platform`, platform)).body;
        return row('plat-1')?.connections === 3 && row('plat-2')?.connections === 1;
      },
      10_000,
    );
    expect(view?.nodes).toEqual(['node-a', 'node-b']);
    expect(row('plat-1')).toMatchObject({ connectionsByNamespace: { '/orders': 2, '/presence': 1 }, agentsOnline: 0 });
    // Busiest first.
    const order = view?.companies.map((company) => company.companyId) ?? [];
    expect(order.indexOf('plat-1')).toBeLessThan(order.indexOf('plat-2'));
    // A tenant's admin, a staff token and no token are refused, with their codes.
    expect((await getJson(`${b.url}/v1/admin/platform`, adminToken('plat-1'))).body).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect((await getJson(`${b.url}/v1/admin/platform`, staffToken('plat-1'))).status).toBe(403);
    expect((await getJson(`${b.url}/v1/admin/platform`)).status).toBe(401);
  });

  it('revokes a user of its own company from the dashboard, on every node, and writes the audit trail', async () => {
    const admin = await connect(a.url, '/admin-ws', { token: adminToken('acme', 'boss') });
    const victim = await connect(b.url, '/orders', { token: staffToken('acme', ['b1'], 'mallory') });
    const bystander = await connect(b.url, '/orders', { token: staffToken('acme', ['b1'], 'alice') });
    const outsider = await connect(b.url, '/orders', { token: staffToken('beta', ['b1'], 'mallory') });
    const ack = await admin.emitAck('admin:revoke-user', { userId: 'mallory' });
    expect(ack).toMatchObject({ ok: true, revoked: { companyId: 'acme', userId: 'mallory' } });
    const ended = (c: TestClient) =>
      c.events.some(([event, payload]) => event === 'session:ended' && (payload as { reason: string }).reason === 'REVOKED');
    await victim.until(ended, 10_000);
    // Only acme's mallory: another company's user of the same id, and acme's other users, stay.
    expect([ended(bystander), ended(outsider)]).toEqual([false, false]);
    expect(await bystander.subscribe('branch:b1')).toMatchObject({ ok: true });
    expect(await outsider.subscribe('branch:b1')).toMatchObject({ ok: true });
    const trail = await admin.emitAck('admin:audit', {});
    expect(trail).toMatchObject({
      ok: true,
      entries: [{ companyId: 'acme', actor: 'boss', action: 'revoke-user', target: 'mallory', outcome: 'ok' }],
    });
    // The trail is shared: an admin on the other node reads the same entry.
    const other = await connect(b.url, '/admin-ws', { token: adminToken('acme', 'deputy') });
    expect(await other.emitAck('admin:audit', {})).toMatchObject({ entries: [{ action: 'revoke-user', target: 'mallory' }] });
    // Another company's admin sees none of it.
    const beta = await connect(b.url, '/admin-ws', { token: adminToken('beta') });
    expect(await beta.emitAck('admin:audit', {})).toEqual({ ok: true, entries: [] });
  });

  it('kicks a user of its own company off every node and transport, without revoking: the same token connects again', async () => {
    const admin = await connect(a.url, '/admin-ws', { token: adminToken('acme', 'boss') });
    const token = staffToken('acme', ['b1'], 'wanderer');
    const socket = await connect(b.url, '/orders', { token });
    const plain = await PlainWsClient.connect(a.url, 'orders', token);
    const ticket = (await postJson<{ ticket: string }>(`${b.url}/v1/stream-tickets`, {}, token)).body.ticket;
    const sse = await SseClient.open(`${b.url}/v1/sse?ticket=${ticket}&namespace=orders&channel=branch:b1`);
    await sse.next('subscribed');
    const sdk = sdkClient(a.url, { token }).namespace('orders');
    await sdk.ready();
    const bystander = await connect(b.url, '/orders', { token: staffToken('acme', ['b1'], 'alice') });
    const outsider = await connect(a.url, '/orders', { token: staffToken('beta', ['b1'], 'wanderer') });

    const failed = nextState(sdk, 'failed');
    expect(await admin.emitAck('admin:kick-user', { userId: 'wanderer' })).toMatchObject({
      ok: true,
      kicked: { companyId: 'acme', userId: 'wanderer', at: expect.any(Number) },
    });
    const kicked = (c: TestClient) =>
      c.events.some(([event, payload]) => event === 'session:ended' && (payload as { reason: string }).reason === 'KICKED');
    await socket.until(kicked, 10_000);
    expect((await plain.next('session:ended')).data).toMatchObject({ reason: 'KICKED' });
    expect(await plain.closed()).toBeGreaterThan(0);
    expect((await sse.next('session:ended')).json).toMatchObject({ reason: 'KICKED' });
    // An EventSource reconnects by itself, with its Last-Event-ID: the kicked stream may not resume.
    expect(sse.lastEventId).not.toBe('');
    const resumed = await SseClient.open(`${b.url}/v1/sse?namespace=orders&channel=branch:b1`, { 'last-event-id': sse.lastEventId });
    expect(resumed.opened.status).toBe(401);
    // The SDK does not come straight back: that would undo the kick.
    expect((await failed).error).toMatchObject({ code: 'KICKED' });
    expect([kicked(bystander), kicked(outsider)]).toEqual([false, false]);

    // Not revoked: the same token is let in again, and restart() brings the SDK back.
    const back = await connect(b.url, '/orders', { token });
    expect(await back.subscribe('branch:b1')).toMatchObject({ ok: true });
    sdk.restart();
    await sdk.ready();
    expect(sdk.state).toBe('connected');
    const trail = await admin.emitAck<{ entries: { actor: string; action: string; target: string; outcome: string }[] }>('admin:audit', {});
    expect(trail.entries[0]).toMatchObject({ actor: 'boss', action: 'kick-user', target: 'wanderer', outcome: 'ok' });
  });

  it('cancels a print job of its own company, refuses one that is not, and audits both outcomes', async () => {
    const admin = await connect(a.url, '/admin-ws', { token: adminToken('acme', 'boss') });
    const job = { jobId: 'adm-1', branchId: 'b1', document: { contentType: 'text/plain', data: 'ticket' } };
    expect((await postJson(`${a.url}/v1/print-jobs`, job, serviceToken())).status).toBe(202);
    expect(await admin.emitAck('admin:cancel-print-job', { jobId: 'adm-1' })).toMatchObject({
      ok: true,
      job: { jobId: 'adm-1', status: 'cancelled' },
    });
    expect(await admin.emitAck('admin:cancel-print-job', { jobId: 'adm-1' })).toMatchObject({
      ok: false,
      error: { code: 'PRINT_JOB_CONFLICT' },
    });
    // Another company's admin cannot reach it: it does not exist for them.
    const beta = await connect(b.url, '/admin-ws', { token: adminToken('beta', 'other') });
    expect(await beta.emitAck('admin:cancel-print-job', { jobId: 'adm-1' })).toMatchObject({
      ok: false,
      error: { code: 'PRINT_JOB_NOT_FOUND' },
    });
    expect(await admin.emitAck('admin:cancel-print-job', { jobId: 'no spaces' })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION_FAILED' },
    });
    const trail = await admin.emitAck<{ entries: { action: string; target: string; outcome: string }[] }>('admin:audit', {});
    expect(trail.entries.filter((entry) => entry.action === 'cancel-print-job')).toEqual([
      expect.objectContaining({ target: 'adm-1', outcome: 'PRINT_JOB_CONFLICT' }),
      expect.objectContaining({ target: 'adm-1', outcome: 'ok' }),
    ]);
  });

  it('resends a print job of its own company as a new job, refuses a pending or foreign one, and audits each outcome', async () => {
    const admin = await connect(a.url, '/admin-ws', { token: adminToken('acme', 'boss') });
    const job = { jobId: 'adm-2', branchId: 'b1', document: { contentType: 'text/plain', data: 'ticket' } };
    expect((await postJson(`${a.url}/v1/print-jobs`, job, serviceToken())).status).toBe(202);
    expect(await admin.emitAck('admin:resend-print-job', { jobId: 'adm-2' })).toMatchObject({
      ok: false,
      error: { code: 'PRINT_JOB_CONFLICT', details: { status: 'queued' } },
    });
    await admin.emitAck('admin:cancel-print-job', { jobId: 'adm-2' });
    expect(await admin.emitAck('admin:resend-print-job', { jobId: 'adm-2' })).toEqual({
      ok: true,
      created: true,
      job: expect.objectContaining({ jobId: 'adm-2.r1', resentFrom: 'adm-2', status: 'queued', branchId: 'b1' }),
    });
    const copy = await getJson<{ resentFrom: string }>(`${b.url}/v1/print-jobs/adm-2.r1`, serviceToken());
    expect(copy.body.resentFrom).toBe('adm-2');
    const beta = await connect(b.url, '/admin-ws', { token: adminToken('beta', 'other') });
    expect(await beta.emitAck('admin:resend-print-job', { jobId: 'adm-2' })).toMatchObject({
      ok: false,
      error: { code: 'PRINT_JOB_NOT_FOUND' },
    });
    const trail = await admin.emitAck<{ entries: { action: string; target: string; outcome: string }[] }>('admin:audit', {});
    expect(trail.entries.filter((entry) => entry.action === 'resend-print-job')).toEqual([
      expect.objectContaining({ target: 'adm-2', outcome: 'ok' }),
      expect.objectContaining({ target: 'adm-2', outcome: 'PRINT_JOB_CONFLICT' }),
    ]);
  });
});
