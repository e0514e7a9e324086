import { connect as netConnect } from 'node:net';
import { MetricsService } from '../../src/metrics/metrics.service';
import { ConnectionMonitor } from '../../src/realtime/connection-monitor.service';
import { FLOOD_FACTOR } from '../../src/realtime/inbound-limits.service';
import { Manager } from 'socket.io-client';
import { closeAllClients, connect, connectError, type TestClient } from '../utils/clients';
import { eventually } from '../utils/eventually';
import { sample, scrape } from '../utils/metrics';
import { PlainWsClient } from '../utils/plain-ws';
import { getJson, orderUpdated, publishBatch } from '../utils/http';
import { TestAgent } from '../utils/printer-agent';
import { RawClient } from '../utils/raw-client';
import { RedisServer } from '../utils/redis-server';
import { createTestApp, type TestApp } from '../utils/test-app';
import { signToken, staffToken } from '../utils/tokens';

const disconnected = (client: TestClient) =>
  new Promise<string>((resolve) => client.socket.once('disconnect', (reason) => resolve(reason)));

describe('frame and message size limits', () => {
  let server: TestApp;
  let control: TestClient;
  beforeAll(async () => {
    server = await createTestApp({ PRINT_WS_MAX_FRAME_BYTES: '200000' });
    control = await connect(server.url, '/orders', { token: staffToken() });
    await control.subscribe('branch:b1');
  });
  afterAll(async () => {
    closeAllClients();
    await server.close();
  });

  it('closes only the connection that sent a frame over the namespace limit (64 KB on /orders)', async () => {
    const offender = await connect(server.url, '/orders', { token: staffToken() });
    const gone = disconnected(offender);
    offender.socket.emit('subscribe', { channel: 'branch:b1', pad: 'x'.repeat(70_000) });
    expect(await gone).toBe('transport close');
    expect(control.socket.connected).toBe(true);
    expect(await control.emitAck('unsubscribe', { channel: 'company:acme' })).toEqual({ ok: true });
  });

  it('lets /printing-ws take larger frames, but still answers an oversized message with PAYLOAD_TOO_LARGE', async () => {
    const agent = await TestAgent.connect(server.url);
    const ack = await agent.client.emitAck('printers:status', { printerId: 'p1', status: 'ready', pad: 'x'.repeat(70_000) });
    expect(ack).toMatchObject({ ok: false, error: { code: 'PAYLOAD_TOO_LARGE' } });
    expect(agent.client.socket.connected).toBe(true);
    const gone = disconnected(agent.client);
    agent.client.socket.emit('printers:status', { pad: 'x'.repeat(200_001) });
    expect(await gone).toBe('transport close');
    expect(control.socket.connected).toBe(true);
  });

  it('advertises the limits in session', async () => {
    const agent = await TestAgent.connect(server.url);
    expect(agent.client.session.limits).toMatchObject({ maxFrameBytes: 200000, maxPayloadBytes: 16384 });
    expect(control.session.limits).toMatchObject({ maxFrameBytes: 65536 });
  });
});

describe('rate limits', () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await createTestApp({
      RATE_LIMIT_PER_SOCKET: '5',
      RATE_LIMIT_BURST: '0',
      RATE_LIMIT_DISCONNECT_SECONDS: '2',
      RATE_LIMIT_PER_USER: '8',
    });
  });
  afterEach(() => closeAllClients());
  afterAll(() => server.close());

  const burst = (client: TestClient, count: number) =>
    Promise.all(
      Array.from({ length: count }, () =>
        client.emitAck<{ ok: boolean; error?: { code: string; details?: { retryAfterMs: number } } }>('unsubscribe', {
          channel: 'company:acme',
        }),
      ),
    );

  it('answers messages over the per-socket rate with RATE_LIMITED and retryAfterMs, and keeps the socket', async () => {
    const client = await connect(server.url, '/orders', { token: signToken({ sub: 'burster' }) });
    const answers = await burst(client, 8);
    expect(answers.filter((answer) => answer.ok)).toHaveLength(5);
    const limited = answers.filter((answer) => !answer.ok);
    expect(limited).toHaveLength(3);
    for (const answer of limited) {
      expect(answer.error).toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterMs: expect.any(Number) } });
      expect(answer.error?.details?.retryAfterMs).toBeGreaterThan(0);
      expect(answer.error?.details?.retryAfterMs).toBeLessThanOrEqual(1000);
    }
    expect(client.socket.connected).toBe(true);
  });

  it('shares a budget across one user’s sockets', async () => {
    const a = await connect(server.url, '/orders', { token: signToken({ sub: 'twins' }) });
    const b = await connect(server.url, '/availability', { token: signToken({ sub: 'twins' }) });
    const answers = [...(await burst(a, 5)), ...(await burst(b, 5))];
    expect(answers.filter((answer) => answer.ok)).toHaveLength(8);
  });

  it('disconnects a socket that stays over the limit without pause, with session:ended RATE_LIMITED', async () => {
    const control = await connect(server.url, '/orders', { token: signToken({ sub: 'calm' }) });
    const abuser = await connect(server.url, '/orders', { token: signToken({ sub: 'abuser' }) });
    const gone = disconnected(abuser);
    const ended = new Promise((resolve) => abuser.socket.once('session:ended', resolve));
    let stop = false;
    const flood = (async () => {
      for (let i = 0; i < 400 && !stop; i++) {
        abuser.socket.emit('unsubscribe', { channel: 'company:acme' });
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    expect(await ended).toEqual({ reason: 'RATE_LIMITED', message: expect.any(String) });
    expect(await gone).toBe('io server disconnect');
    stop = true;
    await flood;
    expect(control.socket.connected).toBe(true);
  });
});

describe('connection caps', () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await createTestApp({ CONNECTIONS_PER_IP: '3', CONNECTIONS_PER_COMPANY: '2' });
  });
  afterEach(() => closeAllClients());
  afterAll(() => server.close());

  it('refuses connections past the per-company cap with TOO_MANY_CONNECTIONS, and admits again after one leaves', async () => {
    const first = await connect(server.url, '/orders', { token: staffToken('cap-a') });
    await connect(server.url, '/orders', { token: staffToken('cap-a') });
    const refused = await connectError(server.url, '/orders', { token: staffToken('cap-a') });
    expect(refused.message).toBe('TOO_MANY_CONNECTIONS');
    expect(refused.data?.code).toBe('TOO_MANY_CONNECTIONS');
    const gone = disconnected(first);
    first.close();
    await gone;
    await connect(server.url, '/orders', { token: staffToken('cap-a') });
  });

  it('refuses connections past the per-IP cap', async () => {
    await connect(server.url, '/orders', { token: staffToken('ip-1') });
    await connect(server.url, '/orders', { token: staffToken('ip-2') });
    await connect(server.url, '/orders', { token: staffToken('ip-3') });
    expect((await connectError(server.url, '/orders', { token: staffToken('ip-4') })).message).toBe('TOO_MANY_CONNECTIONS');
  });
});

/**
 * Finding 8 of the hostile review: refusing costs almost nothing. Sessions over the per-IP bounds
 * are refused in allowRequest (HTTP 403, no session is created); a socket's flood is counted,
 * answered only a little, and ends the socket.
 */
describe('cheap refusals', () => {
  let server: TestApp;
  afterEach(async () => {
    closeAllClients();
    await server.close();
  });

  const engineSessions = () => server.app.get(ConnectionMonitor).sessionCount;
  /** A handshake by hand: the HTTP status and body Engine.IO answers a new polling session with. */
  const handshake = async () => {
    const response = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`);
    return { status: response.status, body: await response.text() };
  };

  it('refuses sessions past CONNECTIONS_PER_IP + headroom at the HTTP handshake, creating none', async () => {
    server = await createTestApp({ CONNECTIONS_PER_IP: '3', UNAUTHENTICATED_SESSIONS_PER_IP: '0' });
    for (let i = 0; i < 3; i++) await connect(server.url, '/orders', { token: staffToken('cap', ['b1'], `u${i}`) });
    // The first over the socket cap still reaches the namespace, for the typed refusal.
    expect((await connectError(server.url, '/orders', { token: staffToken('cap', ['b1'], 'u4') })).message).toBe('TOO_MANY_CONNECTIONS');
    // The cap is 3 + a headroom of 10 sessions; the refused client's own session may be gone already.
    const held: RawClient[] = [];
    let failure = '';
    for (let i = 0; i < 20 && !failure; i++) {
      await RawClient.open(server.url).then(
        (raw) => held.push(raw),
        (error: Error) => (failure = error.message),
      );
    }
    // Engine.IO answers a refused WebSocket upgrade with 400 (and the reason in the body), a polling handshake with 403.
    expect(failure).toBe('Unexpected server response: 400');
    const before = engineSessions();
    expect(before).toBe(13);
    const refused = await handshake();
    expect(refused.status).toBe(403);
    expect(refused.body).toMatch(/TOO_MANY_CONNECTIONS/);
    expect(engineSessions()).toBe(before);
    for (const raw of held) raw.ws.close();
  });

  it('bounds the sessions of one IP that never join a namespace, and counts a session out once it joins', async () => {
    server = await createTestApp({ UNAUTHENTICATED_SESSIONS_PER_IP: '4' });
    const lurkers = await Promise.all(Array.from({ length: 4 }, () => RawClient.open(server.url)));
    const refused = await handshake();
    expect(refused.status).toBe(403);
    expect(refused.body).toMatch(/TOO_MANY_CONNECTIONS/);
    expect(engineSessions()).toBe(4);
    // One of them authenticates: room for one more.
    expect(await lurkers[0].join('/orders', staffToken('lurk', ['b1'], 'l0'))).toMatch(/^40\/orders,/);
    const admitted = await RawClient.open(server.url);
    expect(admitted.isOpen).toBe(true);
    for (const raw of [...lurkers, admitted]) raw.ws.close();
  });

  it('answers a flood only a little, counts what it refused, and ends the connection past FLOOD_FACTOR times its budget', async () => {
    server = await createTestApp({ RATE_LIMIT_PER_SOCKET: '5', RATE_LIMIT_BURST: '0' });
    const metrics = server.app.get(MetricsService);
    const raw = await RawClient.open(server.url);
    await raw.join('/orders', staffToken('flood', ['b1'], 'f0'));
    for (let i = 0; i < 2000; i++) raw.send(`42/orders,${i}["unsubscribe",{"channel":"company:flood"}]`);
    await raw.until(
      (seen) => seen.some((frame) => typeof frame === 'string' && frame.includes('session:ended') && frame.includes('RATE_LIMITED')),
      5000,
    );
    const acks = raw.frames.filter((frame) => typeof frame === 'string' && frame.startsWith('43/orders,'));
    const refusals = acks.filter((frame) => String(frame).includes('RATE_LIMITED'));
    // The five within budget may not be answered: the flood ended the socket before their handlers ran.
    expect(acks.length - refusals.length).toBeLessThanOrEqual(5);
    expect(refusals.length).toBe(20);
    // Every refusal up to the disconnect was counted, answered or not; nothing after it cost anything.
    expect((await metrics.rateLimited.get()).values[0]?.value).toBe(FLOOD_FACTOR * 5 + 1);
    await raw.closed;
    raw.ws.close();
  });
});

describe('slow consumers', () => {
  let redis: RedisServer;
  let server: TestApp;
  beforeAll(async () => {
    redis = await RedisServer.start();
    server = await createTestApp({ REDIS_URL: redis.url, SLOW_CONSUMER_BYTES: '262144' });
  });
  afterEach(() => closeAllClients());
  afterAll(async () => {
    await server.close();
    await redis.stop();
  });

  it('disconnects a client that stops reading once 256 KB are buffered, and counts it', async () => {
    const control = await connect(server.url, '/orders', { token: staffToken() });
    await control.subscribe('branch:b1');
    const stuck = await RawClient.open(server.url);
    await stuck.join('/orders', staffToken());
    stuck.send('42/orders,1["subscribe",{"channel":"branch:b1"}]');
    await stuck.until((frames) => frames.some((frame) => typeof frame === 'string' && frame.startsWith('43/orders,1')), 5000);
    stuck.stopReading();

    const monitor = server.app.get(ConnectionMonitor);
    const before = monitor.counts.slowConsumers;
    const blob = 'y'.repeat(60_000);
    // The kernel's socket buffers absorb a few MB first; after that the server's own buffer grows.
    // The stuck client reads nothing, so only the server can tell that it hung up.
    for (let round = 0; round < 200 && monitor.counts.slowConsumers === before; round++) {
      await publishBatch(
        server.url,
        Array.from({ length: 5 }, (_, i) => orderUpdated('branch:b1', `${round}-${i}`, { blob })),
      );
      if (round % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 1100)); // the monitor looks once a second
    }
    stuck.close();
    expect(monitor.counts.slowConsumers).toBeGreaterThan(before);
    expect(control.socket.connected).toBe(true);
    await control.until((c) => c.envelopes().length >= 5, 10_000);
  }, 60_000);
});

describe('slow handshakes', () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await createTestApp({ WS_CONNECT_TIMEOUT_MS: '1000', HTTP_HEADERS_TIMEOUT_MS: '1000' });
  });
  afterEach(() => closeAllClients());
  afterAll(() => server.close());

  it('drops an Engine.IO session that never joins a namespace, and a slowloris request', async () => {
    const lurker = await RawClient.open(server.url);
    const slowloris = netConnect(Number(new URL(server.url).port), '127.0.0.1');
    slowloris.on('error', () => undefined); // the server resets it: that is the point
    const slowClosed = new Promise<number>((resolve) => slowloris.once('close', () => resolve(Date.now())));
    slowloris.write('GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const drip = setInterval(() => slowloris.write('X-Slow: 1\r\n'), 200);
    const started = Date.now();
    // Meanwhile a legitimate client connects promptly.
    const fresh = Date.now();
    await connect(server.url, '/orders', { token: staffToken() });
    expect(Date.now() - fresh).toBeLessThan(500);
    await lurker.closed;
    const slowEnd = await slowClosed;
    clearInterval(drip);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(slowEnd - started).toBeLessThan(3000);
  }, 15_000);
});

/**
 * MAX_CONNECTIONS: the clients one process serves (Engine.IO sessions and plain-transport
 * streams). At the cap readiness goes down, so balancers route new clients elsewhere, and new
 * clients get TOO_MANY_CONNECTIONS; a client already here may still join other namespaces.
 */
describe('connections per process (MAX_CONNECTIONS)', () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await createTestApp({ MAX_CONNECTIONS: '3', CONNECTIONS_PER_IP: '0' });
  });
  afterAll(async () => {
    closeAllClients();
    await server.close();
  });

  const ready = async () => {
    const response = await fetch(`${server.url}/health/ready`);
    return { status: response.status, body: (await response.json()) as { details?: { capacity?: unknown } } };
  };
  const metric = async (name: string) => sample(await scrape(`${server.url}/metrics`), name);

  it('reports not-ready at the cap, refuses new clients with TOO_MANY_CONNECTIONS, and recovers when one leaves', async () => {
    expect((await ready()).status).toBe(200);
    const clients = [];
    for (let i = 0; i < 3; i++) clients.push(await connect(server.url, '/orders', { token: staffToken('acme', ['b1'], `cap-${i}`) }));

    expect(await ready()).toMatchObject({ status: 503, body: { details: { capacity: { status: 'down', connections: 3, max: 3 } } } });
    expect(await metric('switchboard_process_connections')).toBe(3);
    expect(await metric('switchboard_process_connections_max')).toBe(3);
    const websocket = await getJson<{ details: { websocket: { capacity: unknown } } }>(`${server.url}/health/websocket`);
    expect(websocket.body.details.websocket.capacity).toEqual({ connections: 3, max: 3, full: true });

    const refused = await connectError(server.url, '/orders', { token: staffToken('acme', ['b1'], 'one-too-many') });
    expect(refused.message).toBe('TOO_MANY_CONNECTIONS');
    expect(refused.data?.code).toBe('TOO_MANY_CONNECTIONS');

    // The plain transports count too: a WebSocket's auth is refused with the same code.
    const plain = await PlainWsClient.open(server.url);
    expect(await plain.request('auth', { namespace: 'orders', token: staffToken('acme', ['b1'], 'plain') })).toMatchObject({
      ok: false,
      error: { code: 'TOO_MANY_CONNECTIONS' },
    });
    plain.socket.terminate();

    const gone = disconnected(clients[0]);
    clients[0].close();
    await gone;
    await eventually('readiness is back', async () => (await ready()).status === 200, 5000);
    await connect(server.url, '/orders', { token: staffToken('acme', ['b1'], 'after-one-left') });
  });

  it('lets a client already served here join another namespace at the cap', async () => {
    closeAllClients();
    await eventually('the process is empty', async () => (await metric('switchboard_process_connections')) === 0, 5000);
    const others = [];
    for (let i = 0; i < 2; i++) others.push(await connect(server.url, '/orders', { token: staffToken('acme', ['b1'], `other-${i}`) }));
    // One Manager, one Engine.IO session, two namespaces: the third client of the process.
    const manager = new Manager(server.url, { transports: ['websocket'], forceNew: true, reconnection: false });
    const token = staffToken('acme', ['b1'], 'multiplexed');
    try {
      const orders = manager.socket('/orders', { auth: { token } });
      await new Promise<void>((resolve, reject) => {
        orders.once('connect', resolve);
        orders.once('connect_error', reject);
      });
      expect(await metric('switchboard_process_connections')).toBe(3);
      const presence = manager.socket('/presence', { auth: { token } });
      await new Promise<void>((resolve, reject) => {
        presence.once('connect', resolve);
        presence.once('connect_error', reject);
      });
      expect(presence.connected).toBe(true);
    } finally {
      // A manager closes its session once its last socket disconnects.
      for (const socket of Object.values((manager as unknown as { nsps: Record<string, { disconnect(): void }> }).nsps))
        socket.disconnect();
    }
  });
});
