import { closeAllClients, connect, type TestClient } from '../utils/clients';
import { createTestApp, type TestApp } from '../utils/test-app';
import { adminToken, signToken, staffToken } from '../utils/tokens';

describe('channel authorization and subscribe validation', () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await createTestApp({ MAX_SUBSCRIPTIONS_PER_SOCKET: '3' });
  });
  afterEach(() => closeAllClients());
  afterAll(() => server.close());

  const as = (token: string): Promise<TestClient> => connect(server.url, '/orders', { token });
  const code = (ack: Record<string, unknown>) => (ack as { error?: { code: string } }).error?.code;

  it('allows exactly the company, branches and user the token names', async () => {
    const staff = await as(signToken({ sub: 'u1', companyId: 'acme', branchIds: ['b1', 'b2'], roles: ['staff'] }));
    expect(await staff.subscribe('company:acme')).toMatchObject({ ok: true });
    expect(await staff.subscribe('branch:b1')).toMatchObject({ ok: true });
    expect(await staff.subscribe('user:u1')).toMatchObject({ ok: true });
    expect(code(await staff.subscribe('company:globex'))).toBe('FORBIDDEN');
    expect(code(await staff.subscribe('branch:b3'))).toBe('FORBIDDEN');
    expect(code(await staff.subscribe('user:u2'))).toBe('FORBIDDEN');
  });

  it('lets branchIds ["*"] follow any branch, and admins follow any user, of their own company', async () => {
    const admin = await as(adminToken('acme'));
    expect(await admin.subscribe('branch:anything')).toMatchObject({ ok: true });
    expect(await admin.subscribe('user:someone-else')).toMatchObject({ ok: true });
    expect(code(await admin.subscribe('company:globex'))).toBe('FORBIDDEN');
    const wildcardStaff = await as(signToken({ branchIds: ['*'], roles: ['staff'] }));
    expect(await wildcardStaff.subscribe('branch:b42')).toMatchObject({ ok: true });
    expect(code(await wildcardStaff.subscribe('user:other'))).toBe('FORBIDDEN');
  });

  it.each([
    ['trailing space', 'company:acme '],
    ['leading space', ' company:acme'],
    ['wrong case', 'Company:acme'],
    ['unknown kind', 'tenant:acme'],
    ['prototype key', '__proto__'],
    ['constructor', 'constructor'],
    ['empty id', 'branch:'],
    ['nested separator', 'branch:b1:x'],
    ['path traversal', 'branch:../acme'],
    ['slash', 'branch:b1/x'],
    ['Greek omicron look-alike', 'c\u03bfmpany:acme'],
    ['Cyrillic a in id', 'company:\u0430cme'],
    ['fullwidth colon', 'company\uff1aacme'],
    ['zero-width space', 'company:ac\u200bme'],
    ['NUL byte', 'company:acme\u0000'],
    ['65-char id', `branch:${'b'.repeat(65)}`],
    ['empty string', ''],
  ])('rejects a forged channel name (%s) with VALIDATION_FAILED', async (_label, channel) => {
    const client = await as(staffToken());
    const ack = await client.subscribe(channel);
    expect(ack).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', message: expect.any(String) } });
  });

  it.each([
    ['an array', ['company:acme']],
    ['a number', 42],
    ['null', null],
    ['an object', { kind: 'company', id: 'acme' }],
  ])('rejects a channel that is %s with VALIDATION_FAILED', async (_label, channel) => {
    const client = await as(staffToken());
    expect(code(await client.subscribe(channel))).toBe('VALIDATION_FAILED');
  });

  it.each([
    ['a string payload', 'company:acme'],
    ['an array payload', [{ channel: 'company:acme' }]],
    ['a number payload', 7],
    ['an unknown field', { channel: 'company:acme', extra: true }],
    ['a __proto__ key', JSON.parse('{"channel":"company:acme","__proto__":{"polluted":true}}') as unknown],
    ['a bad since.seq', { channel: 'company:acme', since: { epoch: 'e', seq: -1 } }],
    ['a fractional since.seq', { channel: 'company:acme', since: { epoch: 'e', seq: 1.5 } }],
    ['a since without epoch', { channel: 'company:acme', since: { seq: 1 } }],
    ['a since that is a string', { channel: 'company:acme', since: 'latest' }],
  ])('rejects %s with VALIDATION_FAILED, keeps the connection, and does not pollute prototypes', async (_label, payload) => {
    const client = await as(staffToken());
    const ack = await client.emitAck('subscribe', payload);
    expect(ack).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(client.socket.connected).toBe(true);
    expect(await client.subscribe('company:acme')).toMatchObject({ ok: true });
  });

  it('names the failing field in VALIDATION_FAILED details', async () => {
    const client = await as(staffToken());
    const ack = await client.emitAck<{ error: { details: { path: string }[] } }>('subscribe', {
      channel: 'company:acme',
      since: { epoch: 'e', seq: 'x' },
    });
    expect(ack.error.details.map((d) => d.path)).toContain('since.seq');
  });

  it('limits subscriptions per socket with LIMIT_EXCEEDED, counting each channel once', async () => {
    const client = await as(signToken({ sub: 'u1', branchIds: ['b1', 'b2', 'b3'], roles: ['staff'] }));
    expect(await client.subscribe('branch:b1')).toMatchObject({ ok: true });
    expect(await client.subscribe('branch:b1')).toMatchObject({ ok: true });
    expect(await client.subscribe('branch:b2')).toMatchObject({ ok: true });
    expect(await client.subscribe('branch:b3')).toMatchObject({ ok: true });
    expect(await client.subscribe('company:acme')).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED', details: { limit: 3 } } });
    await client.emitAck('unsubscribe', { channel: 'branch:b3' });
    expect(await client.subscribe('company:acme')).toMatchObject({ ok: true });
  });

  it('answers an oversized message with PAYLOAD_TOO_LARGE and keeps the connection', async () => {
    const client = await as(staffToken());
    const ack = await client.emitAck('subscribe', { channel: 'company:acme', pad: 'x'.repeat(20_000) });
    expect(ack).toMatchObject({ ok: false, error: { code: 'PAYLOAD_TOO_LARGE', details: { limit: 16384 } } });
    expect(await client.subscribe('company:acme')).toMatchObject({ ok: true });
  });

  it('answers an event the namespace does not handle with VALIDATION_FAILED, and keeps the connection', async () => {
    const client = await as(staffToken());
    expect(await client.emitAck('printers:register', { printers: [] })).toEqual({
      ok: false,
      error: {
        code: 'VALIDATION_FAILED',
        message: 'unknown event "printers:register" on /orders',
        details: [{ path: 'event', errors: ['unknown event "printers:register" on /orders'] }],
      },
    });
    client.socket.emit('no-such-event', {});
    await client.until((c) => c.events.some(([event]) => event === 'exception'));
    expect(client.events.find(([event]) => event === 'exception')?.[1]).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    expect(await client.subscribe('company:acme')).toMatchObject({ ok: true });
  });

  it('reports an error without an ack callback as an `exception` event', async () => {
    const client = await as(staffToken());
    client.socket.emit('subscribe', { channel: 'Company:acme' });
    await client.until((c) => c.events.some(([event]) => event === 'exception'));
    expect(client.events.find(([event]) => event === 'exception')?.[1]).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION_FAILED' },
    });
  });
});
