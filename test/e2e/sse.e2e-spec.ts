import { Revocations } from '../../src/auth/revocations.service';
import { sample, scrape } from '../utils/metrics';
import { orderUpdated, postJson, publish, publishBatch } from '../utils/http';
import { RedisServer } from '../utils/redis-server';
import { SseClient } from '../utils/sse-client';
import { createTestApp, type TestApp } from '../utils/test-app';
import { serviceToken, signToken, staffToken } from '../utils/tokens';

async function getMetric(url: string, name: string, labels: Record<string, string>): Promise<number | undefined> {
  return sample(await scrape(`${url}/metrics`), name, labels);
}

async function ticketFor(app: TestApp, token = staffToken()): Promise<string> {
  const issued = await postJson<{ ticket: string }>(`${app.url}/v1/stream-tickets`, {}, token);
  expect(issued.status).toBe(201);
  return issued.body.ticket;
}

function sseUrl(app: TestApp, query: Record<string, string | string[]>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) for (const item of [value].flat()) params.append(name, item);
  return `${app.url}/v1/sse?${params.toString()}`;
}

/** Opens a stream on /orders for `channels` and waits until every channel is subscribed. */
async function openStream(app: TestApp, channels: string[], token = staffToken(), namespace = 'orders'): Promise<SseClient> {
  const client = await SseClient.open(sseUrl(app, { ticket: await ticketFor(app, token), namespace, channel: channels }));
  expect(client.opened.status).toBe(200);
  await client.until('subscribed to every channel', () => client.named('subscribed').length === channels.length || undefined);
  return client;
}

const orderIds = (client: SseClient, from = 0) =>
  client.messages
    .slice(from)
    .filter((m) => m.event === 'order:updated')
    .map((m) => m.json.data.orderId as number);

describe('Server-Sent Events (GET /v1/sse)', () => {
  describe('embedded engine', () => {
    let app: TestApp;
    const open: SseClient[] = [];
    const track = (client: SseClient) => (open.push(client), client);
    beforeAll(async () => {
      app = await createTestApp({ STREAM_HEARTBEAT_SECONDS: '1', SLOW_CONSUMER_BYTES: '16384', TOKEN_GRACE_SECONDS: '1' });
    });
    afterEach(() => {
      for (const client of open.splice(0)) client.close();
    });
    afterAll(() => app.close());

    it('answers every bad request before the stream starts, with a typed JSON error', async () => {
      const refused = async (query: Record<string, string | string[]>, headers: Record<string, string> = {}) => {
        const client = await SseClient.open(sseUrl(app, query), headers);
        return [client.opened.status, client.opened.body?.error.code];
      };
      expect(await refused({ namespace: 'orders', channel: 'branch:b1' })).toEqual([401, 'AUTH_MISSING']);
      // A token in the URL is never read.
      expect(await refused({ token: staffToken(), namespace: 'orders', channel: 'branch:b1' })).toEqual([401, 'AUTH_MISSING']);
      expect(await refused({ ticket: 'x'.repeat(43), namespace: 'orders', channel: 'branch:b1' })).toEqual([401, 'AUTH_INVALID']);
      expect(await refused({ ticket: await ticketFor(app), namespace: 'printing-ws', channel: 'branch:b1' })).toEqual([
        400,
        'VALIDATION_FAILED',
      ]);
      expect(await refused({ ticket: await ticketFor(app), namespace: 'orders' })).toEqual([400, 'VALIDATION_FAILED']);
      expect(await refused({ ticket: await ticketFor(app), namespace: 'orders', channel: 'branch:b1 ' })).toEqual([
        400,
        'VALIDATION_FAILED',
      ]);
      expect(await refused({ ticket: await ticketFor(app), namespace: 'orders', channel: ['branch:b1', 'branch:b9'] })).toEqual([
        403,
        'FORBIDDEN',
      ]);
      expect(
        await refused({ ticket: await ticketFor(app), namespace: 'orders', channel: 'branch:b1' }, { 'last-event-id': 'garbage!' }),
      ).toEqual([400, 'VALIDATION_FAILED']);
      // A resume key never goes in a URL: a lastEventId parameter holds positions only.
      const withKey = `${'k'.repeat(43)} branch:b1=AAAAAAAAAAAA.1`;
      expect(await refused({ ticket: await ticketFor(app), namespace: 'orders', channel: 'branch:b1', lastEventId: withKey })).toEqual([
        400,
        'VALIDATION_FAILED',
      ]);
      // A ticket is spent by its first use, even a refused one.
      const ticket = await ticketFor(app);
      expect(await refused({ ticket, namespace: 'orders', channel: 'branch:b9' })).toEqual([403, 'FORBIDDEN']);
      expect(await refused({ ticket, namespace: 'orders', channel: 'branch:b1' })).toEqual([401, 'AUTH_INVALID']);
    });

    it('streams session, the subscribe acks, then each event by name, with positions in every id', async () => {
      const client = await openStream(app, ['branch:b1', 'company:acme']);
      expect(client.opened.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(client.opened.headers['cache-control']).toBe('no-cache, no-transform');
      expect(client.retry).toBe(2000);
      const session = client.messages[0];
      expect(session.event).toBe('session');
      expect(session.json).toMatchObject({
        namespace: '/orders',
        user: { id: 'user-1', companyId: 'acme' },
        limits: { messagesPerSecond: 0 },
      });
      const [b1, company] = client.named('subscribed').map((m) => m.json);
      expect(b1).toMatchObject({ ok: true, channel: 'branch:b1', seq: expect.any(Number), epoch: expect.any(String) });
      expect(company).toMatchObject({ ok: true, channel: 'company:acme' });

      const from = client.messages.length;
      await publishBatch(app.url, [orderUpdated('branch:b1', 1), orderUpdated('branch:b1', 2), orderUpdated('company:acme', 3)]);
      await client.until('three events', () => orderIds(client, from).length === 3 || undefined);
      expect(orderIds(client, from)).toEqual([1, 2, 3]);
      const events = client.messages.slice(from);
      expect(events[0].json).toMatchObject({ channel: 'branch:b1', seq: b1.seq + 1, epoch: b1.epoch, event: 'order:updated' });
      // The id: the resume key, then every channel's position after this event.
      const [key, ...positions] = events[1].id.split(' ');
      expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(positions).toEqual([`branch:b1=${b1.epoch}.${b1.seq + 2}`, `company:acme=${company.epoch}.${company.seq}`]);
      expect(events[2].id.split(' ')[2]).toBe(`company:acme=${company.epoch}.${company.seq + 1}`);
    });

    it('sends heartbeat comments while idle', async () => {
      const client = track(await openStream(app, ['branch:b1']));
      await client.until('a heartbeat comment', () => client.comments.length > 0 || undefined, 5000);
    });

    it('delivers only what the token allows', async () => {
      const client = track(await openStream(app, ['branch:b1', 'company:acme']));
      const from = client.messages.length;
      await publish(app.url, orderUpdated('branch:b2', 10));
      await publish(app.url, orderUpdated('company:other', 11), serviceToken('other'));
      await publish(app.url, orderUpdated('branch:b1', 12));
      await client.until('the allowed event', () => orderIds(client, from).includes(12) || undefined);
      expect(orderIds(client, from)).toEqual([12]);
    });

    it('resumes from Last-Event-ID with exactly the missed events, once per key', async () => {
      const first = await openStream(app, ['branch:b1']);
      await publish(app.url, orderUpdated('branch:b1', 100));
      await first.until('event 100', () => orderIds(first).includes(100) || undefined);
      const lastEventId = first.lastEventId;
      first.close();
      for (let id = 101; id <= 105; id++) await publish(app.url, orderUpdated('branch:b1', id));

      // As the browser reconnects: same URL (its ticket is spent), plus Last-Event-ID.
      const again = track(
        await SseClient.open(sseUrl(app, { ticket: 'spent'.padEnd(43, 'x'), namespace: 'orders', channel: 'branch:b1' }), {
          'last-event-id': lastEventId,
        }),
      );
      expect(again.opened.status).toBe(200);
      const ack = (await again.next('subscribed')).json;
      expect(ack).toMatchObject({ recovered: true, missed: 5 });
      expect(orderIds(again)).toEqual([101, 102, 103, 104, 105]);
      // The replayed events come before the ack, as on Socket.IO.
      expect(again.messages.findIndex((m) => m.event === 'subscribed')).toBeGreaterThan(
        again.messages.findIndex((m) => m.event === 'order:updated'),
      );
      await publish(app.url, orderUpdated('branch:b1', 106));
      await again.until('live after the replay', () => orderIds(again).includes(106) || undefined);
      expect(orderIds(again)).toEqual([101, 102, 103, 104, 105, 106]);

      // The key in that Last-Event-ID is spent: replaying it is refused.
      const replayed = await SseClient.open(sseUrl(app, { namespace: 'orders', channel: 'branch:b1' }), { 'last-event-id': lastEventId });
      expect([replayed.opened.status, replayed.opened.body?.error.code]).toEqual([401, 'AUTH_INVALID']);
    });

    it('resumes with a new ticket and positions in the query (a new EventSource)', async () => {
      const first = await openStream(app, ['branch:b1']);
      const positions = first.lastEventId.split(' ').slice(1).join(' ');
      first.close();
      await publish(app.url, orderUpdated('branch:b1', 200));
      const again = track(
        await SseClient.open(
          sseUrl(app, { ticket: await ticketFor(app), namespace: 'orders', channel: 'branch:b1', lastEventId: positions }),
        ),
      );
      expect((await again.next('subscribed')).json).toMatchObject({ recovered: true, missed: 1 });
      expect(orderIds(again)).toEqual([200]);
    });

    it('says "not recovered" for a position of another epoch', async () => {
      const client = track(
        await SseClient.open(
          sseUrl(app, { ticket: await ticketFor(app), namespace: 'orders', channel: 'branch:b1', lastEventId: 'branch:b1=AAAAAAAAAAAA.3' }),
        ),
      );
      expect((await client.next('subscribed')).json).toMatchObject({ recovered: false, reason: 'EPOCH_CHANGED' });
    });

    it('carries the snapshot in the subscribe ack on /sync', async () => {
      const published = await publish(app.url, {
        namespace: 'sync',
        channel: 'company:acme',
        event: 'sync:status',
        data: { entityId: 'e1', type: 'SYNC_PROCESSING' },
      });
      expect(published.status).toBe(202);
      const client = track(await openStream(app, ['company:acme'], staffToken(), 'sync'));
      const ack = client.named('subscribed')[0].json;
      expect(ack.snapshot.items.map((item: { data: { entityId: string } }) => item.data.entityId)).toEqual(['e1']);
    });

    it('ends a revoked user’s stream with session:ended REVOKED', async () => {
      const client = await openStream(app, ['branch:b1'], staffToken('acme', ['b1'], 'user-revoked-sse'));
      await app.app.get(Revocations).revoke({ companyId: 'acme', userId: 'user-revoked-sse' });
      expect((await client.next('session:ended')).json).toMatchObject({ reason: 'REVOKED' });
      await client.ended();
    });

    it('cuts a reader that does not keep up (SLOW_CONSUMER), and counts it', async () => {
      const before = (await getMetric(app.url, 'switchboard_stream_sessions_total', { transport: 'sse', outcome: 'SLOW_CONSUMER' })) ?? 0;
      const client = await openStream(app, ['branch:b1']);
      client.pause();
      const big = 'x'.repeat(60_000);
      for (let i = 0; i < 200 && !(await cut()); i++) await publish(app.url, orderUpdated('branch:b1', 1000 + i, { note: big }));
      expect(await cut()).toBe(true);
      async function cut(): Promise<boolean> {
        return (
          ((await getMetric(app.url, 'switchboard_stream_sessions_total', { transport: 'sse', outcome: 'SLOW_CONSUMER' })) ?? 0) > before
        );
      }
      client.close();
    });

    it('counts open streams by transport and namespace', async () => {
      const client = track(await openStream(app, ['branch:b1']));
      expect(await getMetric(app.url, 'switchboard_stream_connections', { transport: 'sse', namespace: '/orders' })).toBe(1);
      client.close();
    });

    it('warns (auth:expiring), then ends the stream at the token’s expiry plus grace (AUTH_EXPIRED)', async () => {
      const exp = Math.floor(Date.now() / 1000) + 2;
      const client = await openStream(app, ['branch:b1'], signToken({ sub: 'user-short', exp }));
      expect((await client.next('auth:expiring')).json).toEqual({ expiresAt: exp * 1000, graceSeconds: 1 });
      expect((await client.next('session:ended', 0, 2000 + app.config.jwt.graceSeconds * 1000 + 3000)).json).toMatchObject({
        reason: 'AUTH_EXPIRED',
      });
      await client.ended();
    }, 20_000);
  });

  describe('Redis engine', () => {
    let redis: RedisServer;
    let a: TestApp;
    let b: TestApp;
    beforeAll(async () => {
      redis = await RedisServer.start();
      a = await createTestApp({ REDIS_URL: redis.url });
      b = await createTestApp({ REDIS_URL: redis.url });
    });
    afterAll(async () => {
      await a.close();
      await b.close();
      await redis.stop();
    });

    it('resumes on another node, and after the first node is gone, with 0 missing', async () => {
      const first = await openStream(a, ['branch:b1']);
      for (let id = 1; id <= 3; id++) await publish(a.url, orderUpdated('branch:b1', id));
      await first.until('three events', () => orderIds(first).length === 3 || undefined);
      const lastEventId = first.lastEventId;
      first.close();
      await a.close();
      for (let id = 4; id <= 53; id++) await publish(b.url, orderUpdated('branch:b1', id));

      const again = await SseClient.open(sseUrl(b, { namespace: 'orders', channel: 'branch:b1' }), { 'last-event-id': lastEventId });
      expect(again.opened.status).toBe(200);
      expect((await again.next('subscribed')).json).toMatchObject({ recovered: true, missed: 50 });
      expect(orderIds(again)).toEqual(Array.from({ length: 50 }, (_, i) => i + 4));
      again.close();
    });
  });
});
