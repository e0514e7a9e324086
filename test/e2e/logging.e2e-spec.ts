import { closeAllClients, connect, connectError } from '../utils/clients';
import { buildOnce, startServerProcess, type ServerProcess } from '../utils/server-process';
import { serviceToken, signToken, staffToken, TEST_JWT_SECRET } from '../utils/tokens';

type Line = Record<string, unknown>;

function lines(server: ServerProcess): Line[] {
  return server
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Line);
}

/** Waits for a log line; the process writes it asynchronously to the HTTP answer, so poll its output (bounded). */
async function logged(server: ServerProcess, match: (line: Line) => boolean, timeoutMs = 5000): Promise<Line> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = lines(server).find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error('no such log line');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('pino JSON logs (a real server process, LOG_LEVEL=debug)', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    buildOnce();
    server = await startServerProcess({ JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'debug', LOG_FORMAT: 'json' });
  }, 60_000);
  afterEach(() => closeAllClients());
  afterAll(() => server.stop());

  it('every line is JSON with a level, time and node', () => {
    const all = lines(server);
    expect(all.length).toBeGreaterThan(5);
    for (const line of all) expect(line).toMatchObject({ level: expect.any(Number), time: expect.any(String), node: expect.any(String) });
  });

  it('carries the correlation id from the publish request to the envelope and every log line on the way', async () => {
    const client = await connect(server.url, '/orders', { token: staffToken('acme', ['b1']) });
    await client.subscribe('branch:b1');
    const response = await fetch(`${server.url}/v1/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${serviceToken()}`, 'x-correlation-id': 'req-7f3a' },
      body: JSON.stringify({
        namespace: 'orders',
        channel: 'branch:b1',
        event: 'order:updated',
        data: { orderId: 'o1', note: 'secret-pizza' },
      }),
    });
    expect(response.status).toBe(202);
    expect(response.headers.get('x-correlation-id')).toBe('req-7f3a');
    await client.until((c) => c.envelopes('branch:b1').length === 1);
    expect(client.envelopes('branch:b1')[0].correlationId).toBe('req-7f3a');

    const request = await logged(server, (line) => line.correlationId === 'req-7f3a' && typeof line.res === 'object');
    expect(request).toMatchObject({ req: { method: 'POST', url: '/v1/publish' }, res: { statusCode: 202 } });
    const published = await logged(server, (line) => line.msg === 'published');
    expect(published).toMatchObject({ company: 'acme', count: 1 });
    // Our own lines about the request name its correlation id too.
    expect(published.correlationId).toBe('req-7f3a');
    // At debug level, each event's id and position too.
    const events = await logged(server, (line) => line.msg === 'published events');
    expect(events).toMatchObject({ correlationId: 'req-7f3a', events: [{ channel: 'branch:b1', correlationId: 'req-7f3a', seq: 1 }] });
    await logged(server, (line) => line.msg === 'delivered' && line.correlationId === 'req-7f3a' && line.sockets === 1);
    // The payload itself is never logged.
    expect(server.output()).not.toContain('secret-pizza');
  });

  it('logs connect and disconnect with user, company, namespace and IP', async () => {
    const client = await connect(server.url, '/orders', { token: staffToken('acme', ['b1'], 'user-log') });
    const connected = await logged(server, (line) => line.msg === 'connected' && line.user === 'user-log');
    expect(connected).toMatchObject({
      company: 'acme',
      namespace: '/orders',
      ip: expect.stringMatching(/127\.0\.0\.1/),
      sessionId: client.session.sessionId,
    });
    client.close();
    const gone = await logged(server, (line) => line.msg === 'disconnected' && line.user === 'user-log');
    expect(gone).toMatchObject({ company: 'acme', namespace: '/orders', reason: 'client namespace disconnect' });
  });

  it('logs auth failures with their code, and never a token', async () => {
    const expired = signToken({ sub: 'late', companyId: 'acme', roles: ['staff'] }, { expiresIn: -60 });
    expect((await connectError(server.url, '/orders', { token: expired })).message).toBe('AUTH_EXPIRED');
    await logged(server, (line) => line.msg === 'handshake refused' && line.code === 'AUTH_EXPIRED' && line.namespace === '/orders');
    const forged = signToken({ sub: 'x', companyId: 'acme', roles: ['service'] }, {}, 'another-secret-another-secret-123');
    const response = await fetch(`${server.url}/v1/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${forged}` },
      body: '{}',
    });
    expect(response.status).toBe(401);
    await logged(server, (line) => (line.res as { statusCode?: number } | undefined)?.statusCode === 401);
    const output = server.output();
    for (const token of [expired, forged]) {
      for (const segment of token.split('.')) expect(output).not.toContain(segment);
    }
    expect(output).not.toMatch(/authorization/i);
  });
});

describe('pino JSON logs at the default level (info)', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    buildOnce();
    server = await startServerProcess({ JWT_SECRET: TEST_JWT_SECRET, LOG_FORMAT: 'json' });
  }, 60_000);
  afterAll(() => server.stop());

  const post = (path: string, body: unknown, correlationId: string) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${serviceToken()}`, 'x-correlation-id': correlationId },
      body: JSON.stringify(body),
    });
  const message = (orderId: string) => ({ namespace: 'orders', channel: 'branch:b1', event: 'order:updated', data: { orderId } });

  it('writes one `published` line per accepted request (with its count), no access line for it, and always one for a refusal', async () => {
    expect((await post('/v1/publish/batch', { messages: [message('o1'), message('o2'), message('o3')] }, 'batch-1')).status).toBe(202);
    expect((await post('/v1/publish', message('o4'), 'single-1')).status).toBe(202);
    expect((await post('/v1/publish', { namespace: 'orders' }, 'bad-1')).status).toBe(400);
    // Lines leave in order: once the refusal's line is out, every line of the accepted ones is too.
    const refusal = await logged(server, (line) => line.correlationId === 'bad-1' && typeof line.res === 'object');
    expect(refusal).toMatchObject({ res: { statusCode: 400 }, req: { url: '/v1/publish' } });
    const ofAccepted = lines(server).filter((line) => line.correlationId === 'batch-1' || line.correlationId === 'single-1');
    expect(ofAccepted).toEqual([
      expect.objectContaining({ msg: 'published', count: 3, correlationId: 'batch-1' }),
      expect.objectContaining({ msg: 'published', count: 1, correlationId: 'single-1' }),
    ]);
  });

  it('writes no line when a socket connects, and one line with everything when it disconnects', async () => {
    const client = await connect(server.url, '/orders', { token: staffToken('acme', ['b1'], 'user-quiet') });
    const sessionId = client.session.sessionId;
    client.close();
    const gone = await logged(server, (line) => line.msg === 'disconnected' && line.user === 'user-quiet');
    expect(gone).toMatchObject({
      company: 'acme',
      namespace: '/orders',
      sessionId,
      ip: expect.stringMatching(/127\.0\.0\.1/),
      transport: 'websocket',
      reason: 'client namespace disconnect',
      connectedAt: expect.any(Number),
      durationMs: expect.any(Number),
    });
    // The connect line would have left before the disconnect line.
    expect(lines(server).filter((line) => line.user === 'user-quiet')).toEqual([gone]);
  });
});
