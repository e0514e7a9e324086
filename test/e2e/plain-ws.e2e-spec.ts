import { orderUpdated, postJson, publish, publishBatch } from '../utils/http';
import { PlainWsClient } from '../utils/plain-ws';
import { RedisServer } from '../utils/redis-server';
import { createTestApp, type TestApp } from '../utils/test-app';
import { serviceToken, signToken, staffToken } from '../utils/tokens';

const orderIds = (client: PlainWsClient, from = 0): number[] =>
  client.frames.slice(from).flatMap((frame) => {
    if (frame.event === 'order:updated') return [frame.data.data.orderId as number];
    if (frame.event === 'batch') return (frame.data.events as { data: { orderId: number } }[]).map((e) => e.data.orderId);
    return [];
  });

describe('plain WebSocket (/v1/ws)', () => {
  describe('embedded engine', () => {
    let app: TestApp;
    const open: PlainWsClient[] = [];
    const connect = async (token = staffToken(), namespace = '/orders') => {
      const client = await PlainWsClient.connect(app.url, namespace, token);
      open.push(client);
      return client;
    };
    beforeAll(async () => {
      app = await createTestApp({ WS_CONNECT_TIMEOUT_MS: '1000' });
    });
    afterEach(() => {
      for (const client of open.splice(0)) client.close();
    });
    afterAll(() => app.close());

    it('authenticates with a token or a ticket in the first frame, then sends session', async () => {
      const byToken = await connect();
      expect((await byToken.next('session')).data).toMatchObject({ namespace: '/orders', user: { id: 'user-1', companyId: 'acme' } });

      const issued = await postJson<{ ticket: string }>(`${app.url}/v1/stream-tickets`, {}, staffToken());
      const byTicket = await PlainWsClient.open(app.url);
      open.push(byTicket);
      expect(await byTicket.request('auth', { namespace: 'orders', ticket: issued.body.ticket })).toEqual({ ok: true });
      // The ticket was spent by that use.
      const again = await PlainWsClient.open(app.url);
      expect(await again.request('auth', { namespace: 'orders', ticket: issued.body.ticket })).toMatchObject({
        ok: false,
        error: { code: 'AUTH_INVALID' },
      });
      expect(await again.closed()).toBe(1008);
    });

    it('runs frames pipelined behind auth once it succeeds (a ticket takes a moment to redeem)', async () => {
      const issued = await postJson<{ ticket: string }>(`${app.url}/v1/stream-tickets`, {}, staffToken());
      const client = await PlainWsClient.open(app.url);
      open.push(client);
      client.send({ event: 'auth', data: { namespace: 'orders', ticket: issued.body.ticket }, ack: 1 });
      client.send({ event: 'subscribe', data: { channel: 'branch:b1' }, ack: 2 });
      await client.until('both answers', () => client.frames.filter((f) => f.ack !== undefined).length === 2 || undefined);
      expect(client.frames.map((f) => f.event ?? `ack ${f.ack}`)).toEqual(['session', 'ack 1', 'ack 2']);
      expect(client.frames[2].data).toMatchObject({ ok: true, channel: 'branch:b1' });
    });

    it('refuses a bad first frame, a bad token, a platform token, a Socket.IO-only namespace, and silence', async () => {
      const refusal = async (frame: unknown) => {
        const client = await PlainWsClient.open(app.url);
        client.send(frame);
        const answer = await client.until('an answer', () => client.frames[0]);
        return [answer.data.error.code, await client.closed()];
      };
      expect(await refusal({ event: 'subscribe', data: { channel: 'branch:b1' }, ack: 1 })).toEqual(['AUTH_MISSING', 1008]);
      expect(await refusal({ event: 'auth', data: { namespace: 'orders', token: 'nope' }, ack: 1 })).toEqual(['AUTH_INVALID', 1008]);
      expect(await refusal({ event: 'auth', data: { namespace: 'orders', token: serviceToken('*') }, ack: 1 })).toEqual([
        'FORBIDDEN',
        1008,
      ]);
      expect(await refusal({ event: 'auth', data: { namespace: 'printing-ws', token: staffToken() }, ack: 1 })).toEqual([
        'VALIDATION_FAILED',
        1008,
      ]);
      expect(await refusal('{not json')).toEqual(['VALIDATION_FAILED', 1008]);

      const silent = await PlainWsClient.open(app.url);
      expect(await silent.closed()).toBe(1008);
      expect(silent.frames[0].data.error.code).toBe('AUTH_MISSING');
    });

    it('refuses a foreign browser origin at the upgrade', async () => {
      await expect(PlainWsClient.open(app.url, { origin: 'https://evil.example' })).rejects.toThrow('403');
    });

    it('subscribes, delivers single events and batches, and unsubscribes', async () => {
      const client = await connect();
      const ack = await client.request('subscribe', { channel: 'branch:b1' });
      expect(ack).toMatchObject({ ok: true, channel: 'branch:b1', epoch: expect.any(String), seq: expect.any(Number) });
      await publish(app.url, orderUpdated('branch:b1', 1));
      const single = await client.next('order:updated');
      expect(single.data).toMatchObject({ channel: 'branch:b1', seq: ack.seq + 1, epoch: ack.epoch, data: { orderId: 1 } });
      await publishBatch(app.url, [orderUpdated('branch:b1', 2), orderUpdated('branch:b1', 3)]);
      const batch = await client.next('batch');
      expect(batch.data).toMatchObject({ channel: 'branch:b1', epoch: ack.epoch });
      expect(orderIds(client)).toEqual([1, 2, 3]);

      expect(await client.request('unsubscribe', { channel: 'branch:b1' })).toEqual({ ok: true });
      const from = client.frames.length;
      await publish(app.url, orderUpdated('branch:b1', 4));
      // Proof that nothing came: a ping answered after the publish was delivered to everyone.
      expect(await client.request('session:ping', {})).toMatchObject({ ok: true, serverTime: expect.any(Number) });
      expect(orderIds(client, from)).toEqual([]);
    });

    it('replays from `since`, then goes live, with no gap and no duplicate', async () => {
      const first = await connect();
      const ack = await first.request('subscribe', { channel: 'branch:b1' });
      first.close();
      for (let id = 10; id < 15; id++) await publish(app.url, orderUpdated('branch:b1', id));
      const client = await connect();
      const resumed = await client.request('subscribe', { channel: 'branch:b1', since: { epoch: ack.epoch, seq: ack.seq } });
      expect(resumed).toMatchObject({ recovered: true, missed: 5 });
      await publish(app.url, orderUpdated('branch:b1', 15));
      await client.until('live event', () => orderIds(client).includes(15) || undefined);
      expect(orderIds(client)).toEqual([10, 11, 12, 13, 14, 15]);
      expect(await client.request('subscribe', { channel: 'branch:b1', since: { epoch: 'AAAAAAAAAAAA', seq: 1 } })).toMatchObject({
        recovered: false,
        reason: 'EPOCH_CHANGED',
      });
    });

    it('keeps tenancy: forbidden channels refused, other tenants’ events never seen', async () => {
      const client = await connect();
      expect(await client.request('subscribe', { channel: 'branch:b2' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      expect(await client.request('subscribe', { channel: 'company:other' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      await client.request('subscribe', { channel: 'company:acme' });
      await publish(app.url, orderUpdated('company:other', 20), serviceToken('other'));
      await publish(app.url, orderUpdated('company:acme', 21));
      await client.until('own event', () => orderIds(client).includes(21) || undefined);
      expect(orderIds(client)).toEqual([21]);
    });

    it('answers bad input with typed errors and keeps the connection', async () => {
      const client = await connect();
      expect(await client.request('subscribe', { channel: 'Branch:b1' })).toMatchObject({
        ok: false,
        error: { code: 'VALIDATION_FAILED' },
      });
      expect(await client.request('subscribe', { channel: 'branch:b1', extra: 1 })).toMatchObject({
        ok: false,
        error: { code: 'VALIDATION_FAILED' },
      });
      expect(await client.request('subscribe', ['branch:b1'])).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
      expect(await client.request('subscribe', JSON.parse('{"channel":"branch:b1","__proto__":{"x":1}}'))).toMatchObject({
        ok: false,
        error: { code: 'VALIDATION_FAILED' },
      });
      expect(await client.request('printers:register', {})).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
      const from = client.frames.length;
      client.send('{broken');
      client.send(Buffer.from([1, 2, 3]));
      client.send(`{"event":"subscribe","data":${'['.repeat(40)}${']'.repeat(40)},"ack":99}`);
      client.send({ event: 'subscribe', data: { channel: 'x'.repeat(20_000) }, ack: 98 });
      await client.until('four refusals', () => client.frames.length - from >= 4 || undefined);
      expect(client.frames.slice(from).map((f) => f.data.error.code)).toEqual([
        'VALIDATION_FAILED',
        'VALIDATION_FAILED',
        'VALIDATION_FAILED',
        'PAYLOAD_TOO_LARGE',
      ]);
      expect(await client.request('session:ping', {})).toMatchObject({ ok: true });
    });

    it('closes on a frame over the frame limit (1009)', async () => {
      const client = await connect();
      client.send('x'.repeat(app.config.limits.maxFrameBytes + 1));
      expect(await client.closed()).toBe(1009);
    });

    it('closes a peer that answers none of three pings (IDLE_TIMEOUT), and never one that only listens', async () => {
      const heartbeat = await createTestApp({ STREAM_HEARTBEAT_SECONDS: '1' });
      try {
        const dead = await PlainWsClient.connect(heartbeat.url, 'orders', staffToken(), { autoPong: false });
        const listening = await PlainWsClient.connect(heartbeat.url, 'orders', staffToken());
        expect((await listening.request('subscribe', { channel: 'branch:b1' })).ok).toBe(true);
        const session = (await dead.next('session')).data as { limits: { idleTimeoutSeconds: number } };
        expect(session.limits.idleTimeoutSeconds).toBe(3);
        const ended = await dead.next('session:ended', 0, 10_000);
        expect(ended.data).toMatchObject({ reason: 'IDLE_TIMEOUT' });
        expect(await dead.closed()).toBe(1008);
        // The listener sent nothing since its subscribe, through the same three pings: still served.
        expect(listening.closeCode).toBeUndefined();
        await publish(heartbeat.url, orderUpdated('branch:b1', 7));
        expect((await listening.next('order:updated')).data).toMatchObject({ data: { orderId: 7 } });
        listening.close();
      } finally {
        await heartbeat.close();
      }
    }, 20_000);

    it('rate-limits messages past the budget with RATE_LIMITED', async () => {
      const limited = await createTestApp({ RATE_LIMIT_PER_SOCKET: '5', RATE_LIMIT_BURST: '0' });
      try {
        const client = await PlainWsClient.connect(limited.url, 'orders', staffToken());
        open.push(client);
        const answers = await Promise.all(Array.from({ length: 8 }, () => client.request('session:ping', {})));
        const codes = answers.map((answer) => (answer.ok ? 'ok' : answer.error.code));
        expect(codes.filter((code) => code === 'ok')).toHaveLength(5);
        expect(codes.filter((code) => code === 'RATE_LIMITED')).toHaveLength(3);
      } finally {
        await limited.close();
      }
    });

    it('refreshes its token; channels the new token does not allow are left', async () => {
      const client = await connect(staffToken('acme', ['b1', 'b2'], 'user-r'));
      await client.request('subscribe', { channel: 'branch:b1' });
      await client.request('subscribe', { channel: 'branch:b2' });
      const later = signToken({
        sub: 'user-r',
        companyId: 'acme',
        branchIds: ['b1'],
        roles: ['staff'],
        exp: Math.floor(Date.now() / 1000) + 7200,
      });
      expect(await client.request('auth:refresh', { token: later })).toMatchObject({ ok: true, dropped: ['branch:b2'] });
      const other = signToken({
        sub: 'someone-else',
        companyId: 'acme',
        branchIds: ['b1'],
        roles: ['staff'],
        exp: Math.floor(Date.now() / 1000) + 9000,
      });
      expect(await client.request('auth:refresh', { token: other })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      await publish(app.url, orderUpdated('branch:b2', 30));
      await publish(app.url, orderUpdated('branch:b1', 31));
      await client.until('b1 event', () => orderIds(client).includes(31) || undefined);
      expect(orderIds(client)).toEqual([31]);
    });
  });

  describe('Redis engine, two nodes', () => {
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

    it('delivers what is published on the other node, and a ticket is single-use across nodes', async () => {
      const client = await PlainWsClient.connect(a.url, 'orders', staffToken());
      await client.request('subscribe', { channel: 'branch:b1' });
      await publish(b.url, orderUpdated('branch:b1', 1));
      await client.next('order:updated');
      expect(orderIds(client)).toEqual([1]);
      client.close();

      const issued = await postJson<{ ticket: string }>(`${a.url}/v1/stream-tickets`, {}, staffToken());
      const onB = await PlainWsClient.open(b.url);
      expect(await onB.request('auth', { namespace: 'orders', ticket: issued.body.ticket })).toEqual({ ok: true });
      const onA = await PlainWsClient.open(a.url);
      expect(await onA.request('auth', { namespace: 'orders', ticket: issued.body.ticket })).toMatchObject({
        ok: false,
        error: { code: 'AUTH_INVALID' },
      });
      onB.close();
    });
  });
});
