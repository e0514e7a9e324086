import { request as httpRequest, type IncomingMessage } from 'node:http';
import { closeAllClients, connect } from '../utils/clients';
import { getJson, postJson } from '../utils/http';
import { createTestApp, type TestApp } from '../utils/test-app';
import { serviceToken, staffToken } from '../utils/tokens';

interface Answer {
  readonly status: number;
  readonly body: { error?: { code?: string; message?: string } } & Record<string, unknown>;
  readonly headers: IncomingMessage['headers'];
}

/**
 * Starts a request that announces `declaredBytes` but sends only `sent`, and resolves with the
 * answer. An answer can only arrive if the server decided without the rest of the body.
 */
function answerBeforeBody(url: string, path: string, sent: Buffer, declaredBytes: number, token?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': String(declaredBytes),
        ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
      },
    });
    // Bounded: a server that waits for the announced body never answers, and that is the failure.
    const timer = setTimeout(() => {
      request.destroy();
      reject(new Error('no answer while the body was incomplete: the server waited for the body'));
    }, 5000);
    request.on('response', (response) => {
      clearTimeout(timer);
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => {
        request.destroy();
        resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as Answer['body'], headers: response.headers });
      });
    });
    // The server may close while the rest of the body is unsent; that is the point.
    request.on('error', (error) => (request.destroyed ? undefined : reject(error)));
    request.write(sent);
  });
}

function nestedArrays(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

const publishBody = (data: unknown): Record<string, unknown> => ({
  namespace: 'orders',
  channel: 'branch:b1',
  event: 'order:updated',
  data: { orderId: 'o-1', extra: data },
});

function nestedObject(levels: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < levels; i++) value = { n: value };
  return value;
}

/**
 * Finding 1 of the hostile review: bodies are read only after authentication, scanned for depth
 * as they arrive, and no body a client can send yields a 500.
 */
describe('hostile HTTP bodies', () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await createTestApp();
  });
  afterAll(async () => {
    closeAllClients();
    await server.close();
  });

  it('answers an unauthenticated publish with 401 before reading its body', async () => {
    // 4 MB announced, 64 KB of brackets sent: only a server that never waits for the body answers.
    const answer = await answerBeforeBody(server.url, '/v1/publish', Buffer.from(nestedArrays(32 * 1024)), 4 * 1024 * 1024 - 1);
    expect(answer.status).toBe(401);
    expect(answer.body.error?.code).toBe('AUTH_MISSING');
  });

  it('answers a forbidden caller with 403 before reading its body', async () => {
    const answer = await answerBeforeBody(server.url, '/v1/publish', Buffer.from('['.repeat(1024)), 4 * 1024 * 1024 - 1, staffToken());
    expect(answer.status).toBe(403);
    expect(answer.body.error?.code).toBe('FORBIDDEN');
  });

  it('refuses an authenticated body nested too deep at the bracket that crosses the bound, without waiting for the rest', async () => {
    const answer = await answerBeforeBody(server.url, '/v1/publish', Buffer.from('['.repeat(4096)), 4 * 1024 * 1024 - 1, serviceToken());
    expect(answer.status).toBe(400);
    expect(answer.body.error?.code).toBe('VALIDATION_FAILED');
    expect(answer.body.error?.message).toMatch(/nested deeper than 32 levels/);
    expect(answer.headers.connection).toBe('close');
  });

  it('refuses a 60 KB body nested 10,000 deep with 400, not 500, on every body-taking route', async () => {
    const body = `{"namespace":"orders","channel":"branch:b1","event":"order:updated","data":{"orderId":"o","x":${nestedArrays(10_000)}}}`;
    for (const path of ['/v1/publish', '/v1/publish/batch', '/v1/print-jobs', '/v1/admin/revoke']) {
      const answer = await postJson(`${server.url}${path}`, body, serviceToken());
      expect([path, answer.status, (answer.body.error as { code?: string } | undefined)?.code]).toEqual([path, 400, 'VALIDATION_FAILED']);
    }
  });

  it('applies the bound inside data too, and accepts data nested within it', async () => {
    const tooDeep = await postJson(`${server.url}/v1/publish`, publishBody(nestedObject(40)), serviceToken());
    expect(tooDeep.status).toBe(400);
    const fine = await postJson(`${server.url}/v1/publish`, publishBody(nestedObject(20)), serviceToken());
    expect(fine.status).toBe(202);
  });

  it('answers every malformed body with a typed 4xx, never a 500', async () => {
    const bodies: [string, string, string?][] = [
      ['not JSON', '{"namespace": orders'],
      ['truncated', '{"namespace":"orders"'],
      ['a bare string', '"hello"'],
      ['a bare number', '12345'],
      ['null', 'null'],
      ['an array', '[1,2,3]'],
      ['brackets inside strings are not nesting', JSON.stringify(publishBody('[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[['))],
      [
        '__proto__ key',
        '{"__proto__":{"polluted":true},"namespace":"orders","channel":"branch:b1","event":"order:updated","data":{"orderId":"o"}}',
      ],
      ['constructor key', '{"constructor":{"prototype":{}},"namespace":"orders"}'],
      ['a huge number', '{"namespace":"orders","channel":"branch:b1","event":"order:updated","data":{"orderId":1e999}}'],
      ['a lone surrogate', '{"namespace":"orders","channel":"branch:b1","event":"order:updated","data":{"orderId":"\\ud800"}}'],
      ['wrong content type', '{"namespace":"orders"}', 'text/plain'],
      ['another charset', '{"namespace":"orders"}', 'application/json; charset=latin1'],
      ['empty', ''],
      ['a deep batch', JSON.stringify({ messages: [publishBody(nestedObject(100))] })],
    ];
    for (const [label, body, contentType] of bodies) {
      const response = await fetch(`${server.url}/v1/publish`, {
        method: 'POST',
        headers: { 'content-type': contentType ?? 'application/json', authorization: `Bearer ${serviceToken()}` },
        body,
      });
      const answer = (await response.json()) as { error?: { code?: string } };
      const typed = response.status < 500 && (response.status === 202 || typeof answer.error?.code === 'string');
      expect([label, response.status, typed]).toEqual([label, expect.any(Number), true]);
      expect([label, response.status < 500]).toEqual([label, true]);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await getJson(`${server.url}/health/live`)).status).toBe(200);
  });

  it('refuses a body over the size limit by its Content-Length, before reading it', async () => {
    const answer = await answerBeforeBody(server.url, '/v1/publish', Buffer.from('{'), 64 * 1024 * 1024, serviceToken());
    expect(answer.status).toBe(413);
    expect(answer.body.error?.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('holds socket messages to the same bound: VALIDATION_FAILED in the ack, and the socket stays', async () => {
    const client = await connect(server.url, '/orders', { token: staffToken() });
    const deep = await client.emitAck<{ ok: boolean; error?: { code: string; message: string } }>('subscribe', {
      channel: 'branch:b1',
      since: nestedObject(40),
    });
    expect(deep.ok).toBe(false);
    expect(deep.error?.code).toBe('VALIDATION_FAILED');
    expect(deep.error?.message).toMatch(/at most 32 levels/);
    expect((await client.subscribe('branch:b1')).ok).toBe(true);
    expect(client.socket.connected).toBe(true);
  });
});
