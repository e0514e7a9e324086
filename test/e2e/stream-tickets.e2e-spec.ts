import { Revocations } from '../../src/auth/revocations.service';
import { StreamTickets, TICKET_TTL_MS } from '../../src/auth/stream-tickets.service';
import { postJson } from '../utils/http';
import { RedisServer, withRedis } from '../utils/redis-server';
import { createTestApp, type TestApp } from '../utils/test-app';
import { serviceToken, signToken, staffToken } from '../utils/tokens';

type Issued = { ticket: string; expiresAt: number };
type ErrorBody = { error: { code: string } };

async function issue(app: TestApp, token: string): Promise<Issued> {
  const result = await postJson<Issued>(`${app.url}/v1/stream-tickets`, {}, token);
  expect(result.status).toBe(201);
  return result.body;
}

/** The code a redemption fails with, or 'ok'. */
async function redeemed(app: TestApp, ticket: unknown, now?: number): Promise<string> {
  return app.app
    .get(StreamTickets)
    .redeem(ticket, now)
    .then(
      () => 'ok',
      (error: { code: string }) => error.code,
    );
}

describe('stream tickets (a token exchanged for a single-use ticket)', () => {
  describe('embedded engine', () => {
    let server: TestApp;
    beforeAll(async () => {
      server = await createTestApp();
    });
    afterAll(() => server.close());

    it('needs a token, and refuses platform tokens', async () => {
      const missing = await postJson<ErrorBody>(`${server.url}/v1/stream-tickets`, {});
      expect([missing.status, missing.body.error.code]).toEqual([401, 'AUTH_MISSING']);
      const platform = await postJson<ErrorBody>(`${server.url}/v1/stream-tickets`, {}, serviceToken('*'));
      expect([platform.status, platform.body.error.code]).toEqual([403, 'FORBIDDEN']);
    });

    it('stands for the token’s principal for one redemption within 30 s', async () => {
      const before = Date.now();
      const { ticket, expiresAt } = await issue(server, staffToken('acme', ['b1', 'b2'], 'user-7'));
      expect(ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(expiresAt).toBeGreaterThanOrEqual(before + TICKET_TTL_MS);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + TICKET_TTL_MS);
      const principal = await server.app.get(StreamTickets).redeem(ticket);
      expect(principal).toMatchObject({ id: 'user-7', companyId: 'acme', branchIds: ['b1', 'b2'], roles: ['staff'] });
      expect(await redeemed(server, ticket)).toBe('AUTH_INVALID');
    });

    it('refuses garbage, expired tickets, and tickets of revoked or expired tokens', async () => {
      expect(await redeemed(server, undefined)).toBe('AUTH_INVALID');
      expect(await redeemed(server, 'x'.repeat(43))).toBe('AUTH_INVALID');
      const late = await issue(server, staffToken());
      expect(await redeemed(server, late.ticket, late.expiresAt + 1)).toBe('AUTH_INVALID');

      // A token that outlives its ticket's issue by less than 30 s caps the ticket at its own expiry.
      const short = signToken({ sub: 'user-short', exp: Math.floor(Date.now() / 1000) + 5 });
      const capped = await issue(server, short);
      expect(capped.expiresAt).toBeLessThanOrEqual(Date.now() + 5000);

      const revokedTicket = await issue(server, staffToken('acme', ['b1'], 'user-revoked'));
      await server.app.get(Revocations).revoke({ companyId: 'acme', userId: 'user-revoked' });
      expect(await redeemed(server, revokedTicket.ticket)).toBe('REVOKED');
    });
  });

  describe('Redis engine: single use across nodes', () => {
    let redis: RedisServer;
    let a: TestApp;
    let b: TestApp;
    beforeAll(async () => {
      redis = await RedisServer.start();
      a = await createTestApp({ REDIS_URL: redis.url });
      b = await createTestApp({ REDIS_URL: redis.url });
    });
    afterAll(async () => {
      await a?.close();
      await b?.close();
      await redis?.stop();
    });

    it('is redeemed on any node, once', async () => {
      const { ticket } = await issue(a, staffToken());
      expect(await redeemed(b, ticket)).toBe('ok');
      expect(await redeemed(a, ticket)).toBe('AUTH_INVALID');
      expect(await redeemed(b, ticket)).toBe('AUTH_INVALID');
    });

    it('gives one of two simultaneous redemptions the principal, and the other AUTH_INVALID', async () => {
      for (let round = 0; round < 20; round++) {
        const { ticket } = await issue(a, staffToken());
        const outcomes = await Promise.all([redeemed(a, ticket), redeemed(b, ticket)]);
        expect(outcomes.sort()).toEqual(['AUTH_INVALID', 'ok']);
      }
    });

    it('keeps only a hash of the ticket in Redis', async () => {
      const { ticket } = await issue(a, staffToken());
      const stored = await withRedis(redis.port, async (client) => {
        const keys = await client.keys('sb:ticket:*');
        return Promise.all(keys.map(async (key) => `${key} ${await client.get(key)}`));
      });
      expect(stored.length).toBeGreaterThan(0);
      expect(stored.some((entry) => entry.includes(ticket))).toBe(false);
    });
  });
});
