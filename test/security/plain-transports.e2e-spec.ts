import fc from 'fast-check';
import { isKnownErrorCode } from '../../src/common/app.errors';
import { orderUpdated, postJson, publish, publishBatch } from '../utils/http';
import { PlainWsClient } from '../utils/plain-ws';
import { SseClient } from '../utils/sse-client';
import { createTestApp, type TestApp } from '../utils/test-app';
import { serviceToken, signToken, staffToken } from '../utils/tokens';

const COMPANIES = ['c1', 'c2'];
const BRANCHES = ['b1', 'b2', 'b3'];
const USERS = ['u1', 'u2'];
const CHANNELS = [...COMPANIES.map((c) => `company:${c}`), ...BRANCHES.map((b) => `branch:${b}`), ...USERS.map((u) => `user:${u}`)];

interface Spec {
  company: string;
  sub: string;
  role: 'admin' | 'staff';
  branchIds: string[];
  wants: string[];
}

const spec: fc.Arbitrary<Spec> = fc.record({
  company: fc.constantFrom(...COMPANIES),
  sub: fc.constantFrom(...USERS),
  role: fc.constantFrom('admin' as const, 'staff' as const),
  branchIds: fc.oneof(fc.constant<string[]>(['*']), fc.subarray(BRANCHES)),
  wants: fc.subarray(CHANNELS, { minLength: 1 }),
});

/** The authorization rule, restated independently of the server (as in tenancy-property). */
function allowed(s: Spec, channel: string): boolean {
  const [kind, id] = channel.split(':');
  if (kind === 'company') return id === s.company;
  if (kind === 'branch') return s.branchIds[0] === '*' || s.branchIds.includes(id);
  return id === s.sub || s.role === 'admin';
}

const tokenOf = (s: Spec) => signToken({ sub: s.sub, companyId: s.company, branchIds: s.branchIds, roles: [s.role] });

async function ticket(app: TestApp, token: string): Promise<string> {
  return (await postJson<{ ticket: string }>(`${app.url}/v1/stream-tickets`, {}, token)).body.ticket;
}

function sseUrl(app: TestApp, ticketValue: string, channels: string[]): string {
  const params = new URLSearchParams({ ticket: ticketValue, namespace: 'orders' });
  for (const channel of channels) params.append('channel', channel);
  return `${app.url}/v1/sse?${params.toString()}`;
}

/**
 * The hostile-input suites, pointed at the plain transports (issue 16): the tenancy property on
 * SSE and WebSocket, seeded random frames on /v1/ws, and seeded random requests on /v1/sse. Every
 * refusal is a known error code, never INTERNAL; a control client keeps receiving throughout.
 */
describe('plain transports under hostile input', () => {
  let app: TestApp;
  let control: PlainWsClient;
  beforeAll(async () => {
    app = await createTestApp({ CONNECTIONS_PER_IP: '0', RATE_LIMIT_PER_SOCKET: '100000', RATE_LIMIT_BURST: '0' });
    control = await PlainWsClient.connect(app.url, 'orders', staffToken('acme', ['b1'], 'control'));
    await control.request('subscribe', { channel: 'branch:b1' });
  });
  afterAll(async () => {
    control.close();
    await app.close();
  });
  afterEach(async () => {
    // The control client still gets what is published, after each suite's abuse.
    const from = control.frames.length;
    await publish(app.url, orderUpdated('branch:b1', `control-${from}`));
    await control.until('the control event', () => control.frames.slice(from).some((f) => f.event === 'order:updated') || undefined);
  });

  it('tenancy: a stream or socket gets exactly what its token allows (SSE and WebSocket, 60 runs)', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(spec, { minLength: 1, maxLength: 3 }), async (specs) => {
        run += 1;
        const streams: { s: Spec; sse: SseClient; ws: PlainWsClient; granted: string[] }[] = [];
        try {
          for (const s of specs) {
            const token = tokenOf(s);
            // SSE checks every channel before it starts: one forbidden channel refuses the stream.
            const everything = await SseClient.open(sseUrl(app, await ticket(app, token), s.wants));
            const expectedStatus = s.wants.every((channel) => allowed(s, channel)) ? 200 : 403;
            everything.close();
            if (everything.opened.status !== expectedStatus) return false;
            const granted = s.wants.filter((channel) => allowed(s, channel));
            const sentinel = `user:${s.sub}`;
            const sse = await SseClient.open(sseUrl(app, await ticket(app, token), [...granted, sentinel]));
            if (sse.opened.status !== 200) return false;
            await sse.until('subscribed', () => sse.named('subscribed').length === new Set([...granted, sentinel]).size || undefined);
            const ws = await PlainWsClient.connect(app.url, 'orders', token);
            for (const channel of s.wants) {
              const ack = await ws.request('subscribe', { channel });
              if (ack.ok !== allowed(s, channel)) return false;
            }
            await ws.request('subscribe', { channel: sentinel });
            streams.push({ s, sse, ws, granted });
          }
          const tag = `run-${run}`;
          for (const company of COMPANIES) {
            const messages = CHANNELS.map((channel) => orderUpdated(channel, `${tag}-${company}-${channel}`));
            await publishBatch(app.url, messages, serviceToken(company));
          }
          for (const { s, sse, ws, granted } of streams) {
            const done = `${tag}-done-${s.sub}`;
            await publish(app.url, orderUpdated(`user:${s.sub}`, done), serviceToken(s.company));
            const ids = (list: unknown[]) =>
              list.filter((id) => typeof id === 'string' && id.startsWith(tag) && !id.startsWith(`${tag}-done-`));
            await sse.until('sentinel', () => sse.named('order:updated').some((m) => m.json.data.orderId === done) || undefined);
            await ws.until(
              'sentinel',
              () => ws.frames.some((f) => f.event === 'order:updated' && f.data.data.orderId === done) || undefined,
            );
            const expected = [...new Set([...granted, `user:${s.sub}`])].map((channel) => `${tag}-${s.company}-${channel}`).sort();
            const got = {
              sse: ids(sse.named('order:updated').map((m) => m.json.data.orderId)).sort(),
              ws: ids(
                ws.frames.flatMap((f) =>
                  f.event === 'order:updated'
                    ? [f.data.data.orderId]
                    : f.event === 'batch'
                      ? f.data.events.map((e: { data: { orderId: string } }) => e.data.orderId)
                      : [],
                ),
              ).sort(),
            };
            if (JSON.stringify(got.sse) !== JSON.stringify(expected) || JSON.stringify(got.ws) !== JSON.stringify(expected)) return false;
          }
          return true;
        } finally {
          for (const { sse, ws } of streams) {
            sse.close();
            ws.close();
          }
        }
      }),
      { numRuns: 60, seed: 1616 },
    );
  }, 120_000);

  it('WebSocket: 800 seeded random frames get typed answers, never INTERNAL, and the server keeps serving', async () => {
    const frame: fc.Arbitrary<string | Buffer> = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 256 }).map((bytes) => Buffer.from(bytes)),
      fc.jsonValue({ maxDepth: 6 }).map((value) => JSON.stringify(value)),
      fc
        .record({
          event: fc.constantFrom('auth', 'subscribe', 'unsubscribe', 'auth:refresh', 'session:ping', 'printers:register', '__proto__', ''),
          data: fc.jsonValue({ maxDepth: 5 }),
          ack: fc.oneof(fc.nat(), fc.constant(-1), fc.constant(1.5), fc.string({ maxLength: 3 })),
        })
        .map((value) => JSON.stringify(value)),
    );
    const frames = fc.sample(frame, { numRuns: 800, seed: 16 });
    const codes = new Map<string, number>();
    let client = await PlainWsClient.connect(app.url, 'orders', staffToken());
    let reopened = 0;
    for (const [index, payload] of frames.entries()) {
      if (client.closeCode !== undefined) {
        reopened += 1;
        client = await PlainWsClient.connect(app.url, 'orders', staffToken());
      }
      client.send(payload);
      // Every 50 frames, a ping proves the connection (or its successor) answers in order.
      if (index % 50 === 49 && client.closeCode === undefined) await client.request('session:ping', {}).catch(() => undefined);
    }
    await client.request('session:ping', {}).catch(() => undefined);
    for (const f of client.frames) {
      const code = (f.data as { error?: { code?: string } } | undefined)?.error?.code;
      if (code !== undefined) codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    process.stdout.write(`ws fuzz: 800 frames, ${reopened} reconnections, answers ${JSON.stringify(Object.fromEntries(codes))}\n`);
    expect(codes.get('INTERNAL')).toBeUndefined();
    for (const code of codes.keys()) expect(isKnownErrorCode(code)).toBe(true);
    expect(codes.get('VALIDATION_FAILED')).toBeGreaterThan(0);
    client.close();
  }, 60_000);

  it('SSE: 300 seeded random requests are refused with typed errors before any stream starts, never 500', async () => {
    const value = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.constantFrom('orders', 'sync', 'printing-ws', 'branch:b1', 'company:acme', '__proto__'),
    );
    const request = fc.record({
      query: fc.array(fc.tuple(fc.constantFrom('namespace', 'channel', 'channel', 'lastEventId', 'token', 'x'), value), { maxLength: 6 }),
      withTicket: fc.boolean(),
      lastEventId: fc.option(
        fc.string({ maxLength: 120 }).filter((s) => !/[\r\n\0]/.test(s) && /^[\x20-\x7e]*$/.test(s)),
        { nil: undefined },
      ),
    });
    const statuses = new Map<number, number>();
    for (const { query, withTicket, lastEventId } of fc.sample(request, { numRuns: 300, seed: 1617 })) {
      const params = new URLSearchParams(query);
      // Half the requests carry a valid ticket, so the checks after authentication are reached too.
      if (withTicket) params.set('ticket', await ticket(app, staffToken()));
      const client = await SseClient.open(`${app.url}/v1/sse?${params.toString()}`, lastEventId ? { 'last-event-id': lastEventId } : {});
      statuses.set(client.opened.status, (statuses.get(client.opened.status) ?? 0) + 1);
      client.close();
      // Without a valid ticket nothing may stream, and every refusal names a known code.
      if (client.opened.status === 200) expect(withTicket).toBe(true);
      else expect(isKnownErrorCode(client.opened.body?.error.code)).toBe(true);
      expect(client.opened.status).toBeLessThan(500);
    }
    process.stdout.write(`sse fuzz: 300 requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}\n`);
  }, 60_000);
});
