import { ChaosModule } from '../utils/chaos.module';
import { closeAllClients, connect, type TestClient } from '../utils/clients';
import { createTestApp, type TestApp } from '../utils/test-app';
import { staffToken } from '../utils/tokens';

/**
 * Handlers that throw, reject, error through an Observable, or throw a non-Error; lifecycle hooks
 * that throw. The caller gets a typed error, other clients notice nothing, the process stays up,
 * and nothing becomes an unhandled rejection.
 */
describe('failing handlers', () => {
  let server: TestApp;
  let control: TestClient;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    server = await createTestApp({}, [ChaosModule]);
    control = await connect(server.url, '/chaos', { token: staffToken() });
  });
  afterAll(async () => {
    closeAllClients();
    await server.close();
    process.off('unhandledRejection', onUnhandled);
  });

  it.each([
    ['throws', 'chaos:throw', 'INTERNAL'],
    ['rejects', 'chaos:reject', 'INTERNAL'],
    ['errors through an Observable', 'chaos:observable', 'INTERNAL'],
    ['throws a string', 'chaos:throw-string', 'INTERNAL'],
    ['throws a typed AppError', 'chaos:app-error', 'FORBIDDEN'],
  ])('a handler that %s (%s) answers %s in the ack, without internals', async (_label, event, code) => {
    const client = await connect(server.url, '/chaos', { token: staffToken() });
    const ack = await client.emitAck<{ ok: boolean; error: { code: string; message: string } }>(event, {});
    expect(ack).toEqual({ ok: false, error: { code, message: expect.any(String) } });
    expect(ack.error.message).not.toMatch(/stack|failure|at Object|\.ts:/);
    expect(client.socket.connected).toBe(true);
    expect(await client.emitAck('chaos:echo', { still: 'here' })).toMatchObject({ ok: true });
  });

  it('answers without an ack callback through an exception event', async () => {
    const client = await connect(server.url, '/chaos', { token: staffToken() });
    client.socket.emit('chaos:reject', {});
    await client.until((c) => c.events.some(([event]) => event === 'exception'));
    expect(client.events.find(([event]) => event === 'exception')?.[1]).toEqual({
      ok: false,
      error: { code: 'INTERNAL', message: 'Internal error' },
    });
  });

  it('keeps a connection whose afterConnect hook throws, and survives an afterDisconnect hook that throws', async () => {
    const exploding = await connect(server.url, '/chaos', { token: staffToken(), auth: { token: staffToken(), explode: 'connect' } });
    expect(await exploding.emitAck('chaos:echo', { a: 1 })).toMatchObject({ ok: true });
    const leaving = await connect(server.url, '/chaos', { auth: { token: staffToken(), explode: 'disconnect' } });
    const gone = new Promise((resolve) => leaving.socket.once('disconnect', resolve));
    leaving.close();
    await gone;
    expect(await control.emitAck('chaos:echo', { after: 'hooks' })).toMatchObject({ ok: true });
  });

  it('ends with no unhandled rejection, the control client untouched, and the server serving', async () => {
    // Give any stray promise a turn to reject before counting.
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
    expect(control.socket.connected).toBe(true);
    expect((await fetch(`${server.url}/health/live`)).status).toBe(200);
  });
});
