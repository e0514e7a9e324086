import { closeAllClients, connect, connectError } from '../utils/clients';
import { orderUpdated, publish } from '../utils/http';
import { createTestApp, type TestApp } from '../utils/test-app';
import { signToken } from '../utils/tokens';

/**
 * Verified tokens are remembered (PrincipalCache). What a remembered token may do must never
 * exceed what verifying it again would allow: it expires at its exp, and a revocation still bites.
 */
describe('remembered tokens', () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await createTestApp();
  });
  afterAll(async () => {
    closeAllClients();
    await server.close();
  });

  it('stop working at their exp, over HTTP and at the handshake, although they verified a moment before', async () => {
    const exp = Math.floor(Date.now() / 1000) + 2;
    const service = signToken({ sub: 'svc', branchIds: [], roles: ['service'], exp });
    const staff = signToken({ sub: 'u-exp', exp });
    expect((await publish(server.url, orderUpdated('branch:b1', 'o-1'), service)).status).toBe(202);
    expect((await publish(server.url, orderUpdated('branch:b1', 'o-2'), service)).status).toBe(202);
    (await connect(server.url, '/orders', { token: staff })).socket.disconnect();
    // No event marks a token's exp passing on the server; wait for the clock itself.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, exp * 1000 - Date.now()) + 50));
    const refused = await publish(server.url, orderUpdated('branch:b1', 'o-3'), service);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toMatchObject({ code: 'AUTH_EXPIRED' });
    expect((await connectError(server.url, '/orders', { token: staff })).message).toBe('AUTH_EXPIRED');
  });

  it('are refused for a role they lack even when remembered from a route that allowed it', async () => {
    const staff = signToken({ sub: 'u-role' });
    (await connect(server.url, '/orders', { token: staff })).socket.disconnect();
    const refused = await publish(server.url, orderUpdated('branch:b1', 'o-4'), staff);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'FORBIDDEN' });
  });
});
