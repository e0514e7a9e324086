import { PresenceService } from '../../src/presence/presence.service';
import { PrintAgentsService } from '../../src/printing/print-agents.service';
import { SessionTokens } from '../../src/realtime/session-tokens.service';
import { SubscriptionService } from '../../src/realtime/subscription.service';
import { closeAllClients, connect, type TestClient } from '../utils/clients';
import { createTestApp, type TestApp } from '../utils/test-app';
import { signToken, staffToken } from '../utils/tokens';

interface Handler {
  readonly namespace: string;
  readonly event: string;
  readonly valid: Record<string, unknown>;
  /** The service method the handler calls: it must never run for an invalid payload. */
  readonly service: [new (...args: never[]) => object, string];
  /** Substitutions that are valid by contract (e.g. `view: null` clears the view). */
  readonly allows?: Record<string, unknown>;
}

const HANDLERS: Handler[] = [
  { namespace: '/orders', event: 'subscribe', valid: { channel: 'branch:b1' }, service: [SubscriptionService, 'subscribe'] },
  { namespace: '/orders', event: 'unsubscribe', valid: { channel: 'branch:b1' }, service: [SubscriptionService, 'unsubscribe'] },
  { namespace: '/orders', event: 'auth:refresh', valid: { token: 'x' }, service: [SessionTokens, 'refresh'] },
  {
    namespace: '/presence',
    event: 'presence:update',
    valid: { status: 'online', view: 'v' },
    service: [PresenceService, 'update'],
    allows: { view: null },
  },
  { namespace: '/presence', event: 'presence:list', valid: { channel: 'company:acme' }, service: [PresenceService, 'list'] },
  {
    namespace: '/printing-ws',
    event: 'printers:register',
    valid: { printers: [{ id: 'p1', name: 'Kitchen', kind: 'kitchen', status: 'ready' }] },
    service: [PrintAgentsService, 'register'],
    allows: { printers: [] },
  },
  {
    namespace: '/printing-ws',
    event: 'printers:status',
    valid: { printerId: 'p1', status: 'ready' },
    service: [PrintAgentsService, 'printerStatus'],
  },
  {
    namespace: '/printing-ws',
    event: 'print:job-status',
    valid: { jobId: 'j1', status: 'printed' },
    service: [PrintAgentsService, 'report'],
  },
];

function deep(levels: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < levels; i++) value = { nested: value };
  return value;
}

/**
 * Every way to get a payload wrong, built from one valid payload. An array of 10^5 items only fits
 * a /printing-ws frame (1 MB); on the 64 KB namespaces such a frame closes the connection by design
 * (see limits.e2e-spec.ts), so there the array is as long as a frame allows.
 */
function abuses({ namespace, valid, allows = {} }: Handler): [string, unknown][] {
  const [firstKey] = Object.keys(valid);
  const items = namespace === '/printing-ws' ? 100_000 : 20_000;
  const out: [string, unknown][] = [
    ['an unknown field', { ...valid, extra: 1 }],
    ['a __proto__ key', JSON.parse(`{"__proto__":{"polluted":true},${JSON.stringify(valid).slice(1)}`)],
    ['a constructor key', { ...valid, constructor: { prototype: { polluted: true } } }],
    ['deep nesting', { ...valid, [firstKey]: deep(60) }],
    [`an array of ${items} items`, { ...valid, [firstKey]: Array.from({ length: items }, () => 0) }],
    ['an array payload', [valid]],
    ['a string payload', 'payload'],
    ['a null payload', null],
    ['a number payload', 42],
  ];
  for (const key of Object.keys(valid)) {
    for (const wrong of [12345, true, [], {}, null]) {
      if (key in allows && JSON.stringify(allows[key]) === JSON.stringify(wrong)) continue;
      out.push([`${key} as ${JSON.stringify(wrong)}`, { ...valid, [key]: wrong }]);
    }
  }
  return out;
}

describe('DTO abuse on every handler', () => {
  let server: TestApp;
  const clients = new Map<string, TestClient>();
  const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();

  beforeAll(async () => {
    server = await createTestApp({ RATE_LIMIT_PER_SOCKET: '100000', RATE_LIMIT_PER_USER: '100000' });
    clients.set('/orders', await connect(server.url, '/orders', { token: staffToken() }));
    clients.set('/presence', await connect(server.url, '/presence', { token: staffToken() }));
    clients.set('/printing-ws', await connect(server.url, '/printing-ws', { token: signToken({ roles: ['printer-agent'] }) }));
  });
  afterAll(async () => {
    closeAllClients();
    await server.close();
  });

  const cases = HANDLERS.flatMap((handler) =>
    abuses(handler).map(([label, payload]) => [`${handler.event}`, label, handler, payload] as const),
  );

  it.each(cases)('%s with %s: a typed error, and the handler never runs', async (_event, _label, handler, payload) => {
    const [serviceClass, method] = handler.service;
    const service = server.app.get<object, Record<string, (...args: unknown[]) => unknown>>(serviceClass);
    const spy = jest.spyOn(service, method);
    try {
      const client = clients.get(handler.namespace) as TestClient;
      const ack = await client.emitAck<{ ok: boolean; error?: { code: string } }>(handler.event, payload);
      expect(ack.ok).toBe(false);
      expect(['VALIDATION_FAILED', 'PAYLOAD_TOO_LARGE']).toContain(ack.error?.code);
      expect(spy).not.toHaveBeenCalled();
      expect(client.socket.connected).toBe(true);
    } finally {
      spy.mockRestore();
    }
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('still runs every handler for its valid payload (the spies see real calls)', async () => {
    for (const handler of HANDLERS.filter((h) => h.event !== 'auth:refresh')) {
      const [serviceClass, method] = handler.service;
      const spy = jest.spyOn(server.app.get<object, Record<string, (...args: unknown[]) => unknown>>(serviceClass), method);
      try {
        await (clients.get(handler.namespace) as TestClient).emitAck(handler.event, handler.valid);
        expect([handler.event, spy.mock.calls.length]).toEqual([handler.event, 1]);
      } finally {
        spy.mockRestore();
      }
    }
  });
});
