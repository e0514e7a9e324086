import { closeAllClients, connect, connectError } from '../utils/clients';
import { orderUpdated, publish, postJson } from '../utils/http';
import { sample, scrape } from '../utils/metrics';
import { createTestApp, type TestApp } from '../utils/test-app';
import { signToken, staffToken } from '../utils/tokens';

describe('GET /metrics', () => {
  let server: TestApp;
  const metrics = () => scrape(`${server.url}/metrics`);
  beforeAll(async () => {
    server = await createTestApp();
  });
  afterEach(() => closeAllClients());
  afterAll(() => server.close());

  it('counts handshakes and auth failures by code, for sockets and HTTP', async () => {
    await connectError(server.url, '/orders', { token: 'not-a-jwt' });
    await connectError(server.url, '/orders', {});
    await connectError(server.url, '/orders', { token: signToken({ companyId: 'acme', roles: ['staff'] }, { expiresIn: -10 }) });
    await connect(server.url, '/orders', { token: staffToken() });
    expect((await postJson(`${server.url}/v1/publish`, orderUpdated('branch:b1', 1))).status).toBe(401);
    const text = await metrics();
    expect(sample(text, 'switchboard_handshakes_total', { namespace: '/orders', outcome: 'accepted' })).toBe(1);
    expect(sample(text, 'switchboard_handshakes_total', { namespace: '/orders', outcome: 'AUTH_INVALID' })).toBe(1);
    expect(sample(text, 'switchboard_auth_failures_total', { code: 'AUTH_INVALID' })).toBe(1);
    expect(sample(text, 'switchboard_auth_failures_total', { code: 'AUTH_EXPIRED' })).toBe(1);
    // One refused handshake, one refused HTTP publish.
    expect(sample(text, 'switchboard_auth_failures_total', { code: 'AUTH_MISSING' })).toBe(2);
  });

  it('gauges connections by namespace and by company, read at scrape time', async () => {
    const clients = await Promise.all([
      connect(server.url, '/orders', { token: staffToken('acme') }),
      connect(server.url, '/orders', { token: staffToken('acme') }),
      connect(server.url, '/availability', { token: staffToken('beta') }),
    ]);
    let text = await metrics();
    expect(sample(text, 'switchboard_connections', { namespace: '/orders' })).toBe(2);
    expect(sample(text, 'switchboard_connections', { namespace: '/availability' })).toBe(1);
    expect(sample(text, 'switchboard_connections_by_company', { company: 'acme' })).toBe(2);
    expect(sample(text, 'switchboard_connections_by_company', { company: 'beta' })).toBe(1);
    const gone = new Promise((resolve) => clients[2].socket.io.engine.once('close', resolve));
    clients[2].close();
    await gone;
    text = await metrics();
    expect(sample(text, 'switchboard_connections', { namespace: '/availability' })).toBe(0);
    expect(sample(text, 'switchboard_connections_by_company', { company: 'beta' })).toBeUndefined();
  });

  it('counts subscribes by outcome, events published and delivered, and publish-to-deliver latency', async () => {
    const first = await connect(server.url, '/orders', { token: staffToken() });
    const second = await connect(server.url, '/orders', { token: staffToken() });
    const live = await first.subscribe('branch:b1');
    await second.subscribe('branch:b1');
    const before = await metrics();
    const latencyBefore = sample(before, 'switchboard_publish_to_deliver_seconds_count', { namespace: '/orders' }) ?? 0;
    const deliveredBefore = sample(before, 'switchboard_events_delivered_total', { namespace: '/orders' }) ?? 0;

    expect((await publish(server.url, orderUpdated('branch:b1', 1))).status).toBe(202);
    await first.until((c) => c.envelopes('branch:b1').length === 1);
    await second.until((c) => c.envelopes('branch:b1').length === 1);
    const third = await connect(server.url, '/orders', { token: staffToken() });
    expect(await third.subscribe('branch:b1', { epoch: live.epoch, seq: live.seq })).toMatchObject({ recovered: true });
    expect(await third.subscribe('company:acme', { epoch: 'another-epoch', seq: 3 })).toMatchObject({
      recovered: false,
      reason: 'EPOCH_CHANGED',
    });
    expect(await third.subscribe('branch:zz')).toMatchObject({ ok: false });

    const text = await metrics();
    expect(sample(text, 'switchboard_subscribes_total', { namespace: '/orders', outcome: 'live' })).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'switchboard_subscribes_total', { namespace: '/orders', outcome: 'recovered' })).toBe(1);
    expect(sample(text, 'switchboard_subscribes_total', { namespace: '/orders', outcome: 'epoch_changed' })).toBe(1);
    expect(sample(text, 'switchboard_subscribes_total', { namespace: '/orders', outcome: 'refused' })).toBe(1);
    // The third client resumed two channels: one connection came back.
    expect(sample(text, 'switchboard_reconnections_total', { namespace: '/orders' })).toBe(
      (sample(before, 'switchboard_reconnections_total', { namespace: '/orders' }) ?? 0) + 1,
    );
    expect(sample(text, 'switchboard_events_published_total', { namespace: '/orders' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'switchboard_events_delivered_total', { namespace: '/orders' })).toBe(deliveredBefore + 2);
    expect(sample(text, 'switchboard_publish_to_deliver_seconds_count', { namespace: '/orders' })).toBe(latencyBefore + 1);
    expect(sample(text, 'switchboard_publish_to_deliver_seconds_bucket', { namespace: '/orders', le: '+Inf' })).toBe(latencyBefore + 1);
  });

  it('measures payload sizes, bus outcomes, room occupancy and connection durations', async () => {
    const before = await metrics();
    const count = (text: string) => sample(text, 'switchboard_publish_payload_bytes_count', { namespace: '/availability' }) ?? 0;
    const small = { namespace: 'availability', channel: 'branch:b1', event: 'stock:changed', data: { sku: 'A', quantity: 1 } };
    const large = { ...small, data: { sku: 'B', quantity: 2, note: 'x'.repeat(2000) } };
    expect((await publish(server.url, small)).status).toBe(202);
    expect((await publish(server.url, large)).status).toBe(202);
    const pages = await Promise.all([
      connect(server.url, '/availability', { token: staffToken('acme', ['b1', 'b2']) }),
      connect(server.url, '/availability', { token: staffToken('acme', ['b1', 'b2']) }),
    ]);
    await pages[0].subscribe('branch:b1');
    await pages[1].subscribe('branch:b1');
    await pages[1].subscribe('branch:b2');

    let text = await metrics();
    expect(count(text)).toBe(count(before) + 2);
    // The 2 KB event is past the 1 KB bucket, the small one within 64 bytes.
    const bucket = (le: string, from: string) =>
      sample(from, 'switchboard_publish_payload_bytes_bucket', { namespace: '/availability', le }) ?? 0;
    expect(bucket('64', text)).toBe(bucket('64', before) + 1);
    expect(bucket('1024', text)).toBe(bucket('1024', before) + 1);
    expect(bucket('4096', text)).toBe(bucket('4096', before) + 2);
    expect(sample(text, 'switchboard_bus_publishes_total', { outcome: 'written' })).toBe(
      (sample(before, 'switchboard_bus_publishes_total', { outcome: 'written' }) ?? 0) + 2,
    );
    expect(sample(text, 'switchboard_rooms', { namespace: '/availability' })).toBe(2);
    expect(sample(text, 'switchboard_room_subscriptions', { namespace: '/availability' })).toBe(3);
    expect(sample(text, 'switchboard_room_subscribers_max', { namespace: '/availability' })).toBe(2);

    const durations = sample(text, 'switchboard_connection_duration_seconds_count', { namespace: '/availability' }) ?? 0;
    for (const page of pages) page.close();
    for (let i = 0; i < 100; i++) {
      text = await metrics();
      if (sample(text, 'switchboard_connection_duration_seconds_count', { namespace: '/availability' }) === durations + 2) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(sample(text, 'switchboard_connection_duration_seconds_count', { namespace: '/availability' })).toBe(durations + 2);
    expect(sample(text, 'switchboard_rooms', { namespace: '/availability' }) ?? 0).toBe(0);
  });

  it('exposes the operational gauges and the default process metrics, event-loop lag included', async () => {
    const text = await metrics();
    for (const name of [
      'switchboard_outage_queue_events',
      'switchboard_bus_breaker_state',
      'switchboard_gap_refills_total',
      'switchboard_rate_limited_total',
      'switchboard_slow_consumer_disconnects_total',
      'switchboard_print_agents_online',
      'switchboard_print_jobs_in_flight',
      'switchboard_presence_members',
      'nodejs_eventloop_lag_p99_seconds',
      'process_resident_memory_bytes',
    ]) {
      expect([name, sample(text, name)]).toEqual([name, expect.any(Number)]);
    }
  });
});
