import { Redis } from 'ioredis';
import { Webhook } from 'standardwebhooks';
import { closeAllClients, connect } from '../utils/clients';
import { eventually } from '../utils/eventually';
import { getJson, orderUpdated, postJson, publish } from '../utils/http';
import { sample, scrape } from '../utils/metrics';
import { TestAgent } from '../utils/printer-agent';
import { RedisServer } from '../utils/redis-server';
import { WebhookEmitter } from '../../src/webhooks/webhook-emitter.service';
import { buildOnce, startServerProcess, type ServerProcess } from '../utils/server-process';
import { createTestApp, type TestApp } from '../utils/test-app';
import { adminToken, serviceToken, signToken, staffToken, TEST_JWT_SECRET } from '../utils/tokens';
import { WebhookReceiver, type ReceivedWebhook } from '../utils/webhook-receiver';

const SECRET = `whsec_${Buffer.alloc(32, 42).toString('base64')}`;
const ALL_TYPES =
  'printing:agent-offline,printing:agent-online,print:job-failed,print:job-expired,channel:reset,presence:joined,presence:left';

const webhookEnv = (receiver: WebhookReceiver, extra: Record<string, string> = {}): Record<string, string> => ({
  WEBHOOK_URLS: receiver.url,
  WEBHOOK_SECRET: SECRET,
  WEBHOOK_EVENTS: ALL_TYPES,
  WEBHOOK_PRESENCE_COMPANIES: 'acme',
  WEBHOOK_RETRY_BASE_MS: '50',
  WEBHOOK_MAX_ATTEMPTS: '3',
  WEBHOOK_POLL_MS: '100',
  ...extra,
});

/** Verifies like a receiver would, with the Standard Webhooks reference library; throws on a bad signature. */
const verify = (request: ReceivedWebhook): unknown =>
  new Webhook(SECRET).verify(request.body, {
    'webhook-id': String(request.headers['webhook-id']),
    'webhook-timestamp': String(request.headers['webhook-timestamp']),
    'webhook-signature': String(request.headers['webhook-signature']),
  });

/** A /presence tab of `user`, present in branch:<branch>: raises presence:joined for its company. */
async function joinPresence(url: string, company: string, branch: string, user: string): Promise<void> {
  const tab = await connect(url, '/presence', { token: staffToken(company, [branch], user) });
  expect(await tab.subscribe(`branch:${branch}`)).toMatchObject({ ok: true });
}

/** The user's presence:joined webhooks for branch channels (a branch tab also joins company:<id>, raising its own). */
const joinsOf = (receiver: WebhookReceiver, user: string) =>
  receiver
    .ofType('presence:joined')
    .filter((request) => request.json.data.userId === user && String(request.json.data.channel).startsWith('branch:'));

const isBranchJoin = (request: ReceivedWebhook, user: string) =>
  request.json.type === 'presence:joined' && request.json.data.userId === user && String(request.json.data.channel).startsWith('branch:');

const ticket = (jobId: string, branchId: string, extra: Record<string, unknown> = {}) => ({
  jobId,
  branchId,
  document: { contentType: 'text/plain', data: `ticket ${jobId}` },
  ...extra,
});

describe('webhooks on the embedded engine', () => {
  let receiver: WebhookReceiver;
  let server: TestApp;

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    server = await createTestApp(webhookEnv(receiver, { PRINT_AGENT_OFFLINE_ALERT_SECONDS: '1' }));
  });
  beforeEach(() => {
    receiver.answer = () => 200;
  });
  afterEach(() => closeAllClients());
  afterAll(async () => {
    await server?.close();
    await receiver?.close();
  });

  it('POSTs a signed Standard Webhooks request, and presence only for the listed companies', async () => {
    await joinPresence(server.url, 'globex', 'g1', 'not-listed');
    await joinPresence(server.url, 'acme', 'b1', 'signed-user');
    await receiver.until('the join', (r) => joinsOf(r, 'signed-user').length === 1);
    const [request] = joinsOf(receiver, 'signed-user');

    expect(verify(request)).toEqual(request.json);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['switchboard-attempt']).toBe('1');
    expect(request.headers['webhook-id']).toBe(request.json.id);
    expect(Math.abs(Number(request.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
    expect(request.json).toEqual({
      id: expect.stringMatching(/^evt_[A-Za-z0-9_-]{32}$/),
      type: 'presence:joined',
      timestamp: expect.any(String),
      data: expect.objectContaining({ companyId: 'acme', channel: 'branch:b1', userId: 'signed-user' }),
    });
    expect(Date.parse(request.json.timestamp)).toBeLessThanOrEqual(Date.now());
    // A wrong secret or a changed body fails verification: the receiver can tell forgeries.
    expect(() => verify({ ...request, body: request.body.replace('signed-user', 'other-user') })).toThrow();
    expect(() =>
      new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(request.body, {
        'webhook-id': request.json.id,
        'webhook-timestamp': String(request.headers['webhook-timestamp']),
        'webhook-signature': String(request.headers['webhook-signature']),
      }),
    ).toThrow();
    // globex is not in WEBHOOK_PRESENCE_COMPANIES: its joins were never queued (acme's two: branch:b1 and company:acme).
    await receiver.until(
      'the company join',
      (r) => r.ofType('presence:joined').filter((j) => j.json.data.userId === 'signed-user').length === 2,
    );
    expect(receiver.received.some((r) => r.json.data.companyId === 'globex')).toBe(false);
    expect(
      sample(await scrape(`${server.url}/metrics`), 'switchboard_webhook_events_total', { type: 'presence:joined', outcome: 'queued' }),
    ).toBe(2);
  });

  it('sends agent offline and online, and print jobs that end failed or expired', async () => {
    const agent = await TestAgent.connect(server.url, { branch: 'b7', sub: 'desk' });
    await agent.register([{ id: 'p7' }], 'desk-pc');
    agent.close();
    await receiver.until('agent offline', (r) => r.ofType('printing:agent-offline').length === 1);
    await TestAgent.connect(server.url, { branch: 'b7', sub: 'desk' }).then((back) => back.register([{ id: 'p7' }], 'desk-pc'));
    await receiver.until('agent online', (r) => r.ofType('printing:agent-online').length === 1);
    expect(receiver.ofType('printing:agent-offline')[0].json.data).toEqual({
      companyId: 'acme',
      branchId: 'b7',
      agentId: 'desk-pc',
      since: expect.any(Number),
    });
    expect(receiver.ofType('printing:agent-online')[0].json.data).toMatchObject({ companyId: 'acme', branchId: 'b7' });

    const printer = await TestAgent.connect(server.url, { branch: 'b8', sub: 'kitchen' });
    await printer.register([{ id: 'k8' }], 'kitchen-pc');
    expect((await postJson(`${server.url}/v1/print-jobs`, ticket('jam-1', 'b8', { orderId: 'o-1' }), serviceToken())).status).toBe(202);
    await printer.until((a) => a.received('jam-1').length === 1);
    expect(await printer.report('jam-1', 'failed', 'paper jam')).toMatchObject({ ok: true, status: 'failed' });
    await receiver.until('job failed', (r) => r.ofType('print:job-failed').length === 1);
    expect(receiver.ofType('print:job-failed')[0].json.data).toMatchObject({
      companyId: 'acme',
      jobId: 'jam-1',
      branchId: 'b8',
      orderId: 'o-1',
      detail: expect.stringContaining('paper jam'),
    });

    // No agent in branch b9: the job's ttl runs out.
    expect((await postJson(`${server.url}/v1/print-jobs`, ticket('late-1', 'b9', { ttlSeconds: 1 }), serviceToken())).status).toBe(202);
    await receiver.until('job expired', (r) => r.ofType('print:job-expired').length === 1);
    expect(receiver.ofType('print:job-expired')[0].json.data).toMatchObject({ companyId: 'acme', jobId: 'late-1', branchId: 'b9' });
    // A printed job raises nothing.
    for (const type of ['print:job-failed', 'print:job-expired']) expect(receiver.ofType(type)).toHaveLength(1);
  }, 20_000);

  it('retries a receiver that fails twice: the third send delivers, with the same webhook-id each time', async () => {
    receiver.answer = (_index, request) => (isBranchJoin(request, 'flaky') && joinsOf(receiver, 'flaky').length < 2 ? 500 : 200);
    await joinPresence(server.url, 'acme', 'b2', 'flaky');
    await receiver.until('three sends', (r) => joinsOf(r, 'flaky').length === 3);
    const sends = joinsOf(receiver, 'flaky');
    expect(new Set(sends.map((send) => send.headers['webhook-id'])).size).toBe(1);
    expect(sends.map((send) => send.headers['switchboard-attempt'])).toEqual(['1', '2', '3']);
    for (const send of sends) expect(verify(send)).toEqual(send.json);
    const dead = await getJson<{ deadLetters: { eventId: string }[] }>(`${server.url}/v1/webhooks/dead-letters`, adminToken('acme'));
    expect(dead.body.deadLetters.map((letter) => letter.eventId)).not.toContain(sends[0].json.id);
    process.stdout.write(`webhook retry: receiver failed twice (HTTP 500); ${sends.length} sends, delivered on attempt 3, 1 webhook-id\n`);
  });

  it('dead-letters a receiver that is down for good after WEBHOOK_MAX_ATTEMPTS, and replays it on request', async () => {
    receiver.answer = (_index, request) => (isBranchJoin(request, 'doomed') ? 503 : 200);
    await joinPresence(server.url, 'acme', 'b3', 'doomed');
    await receiver.until('three sends', (r) => joinsOf(r, 'doomed').length === 3);
    const eventId = joinsOf(receiver, 'doomed')[0].json.id;
    type Letters = {
      queued: number;
      deadLetters: { id: string; eventId: string; attempts: number; lastError: string; companyId: string }[];
    };
    let letters: Letters['deadLetters'] = [];
    // The third failure is recorded just after the receiver answered it.
    await eventually(
      'the dead letter',
      async () => {
        const listed = await getJson<Letters>(`${server.url}/v1/webhooks/dead-letters`, adminToken('acme'));
        letters = listed.body.deadLetters.filter((letter) => letter.eventId === eventId);
        return letters.length > 0;
      },
      5000,
    );
    expect(letters).toEqual([expect.objectContaining({ eventId, attempts: 3, lastError: 'HTTP 503', companyId: 'acme' })]);
    expect(joinsOf(receiver, 'doomed')).toHaveLength(3);

    // Another company's admin does not see it and cannot replay it; staff may not look.
    const foreign = await getJson<Letters>(`${server.url}/v1/webhooks/dead-letters`, adminToken('globex'));
    expect(foreign.body.deadLetters.map((letter) => letter.eventId)).not.toContain(eventId);
    expect((await postJson(`${server.url}/v1/webhooks/dead-letters/${letters[0].id}/replay`, {}, adminToken('globex'))).status).toBe(404);
    expect((await getJson(`${server.url}/v1/webhooks/dead-letters`, staffToken('acme'))).status).toBe(403);
    // A platform admin sees every company's.
    const platformAdmin = signToken({ sub: 'root', companyId: '*', branchIds: [], roles: ['admin'] });
    const all = await getJson<Letters>(`${server.url}/v1/webhooks/dead-letters`, platformAdmin);
    expect(all.body.deadLetters.map((letter) => letter.eventId)).toContain(eventId);
    expect((await postJson(`${server.url}/v1/webhooks/dead-letters/not-an-id/replay`, {}, adminToken('acme'))).body).toMatchObject({
      error: { code: 'VALIDATION_FAILED' },
    });

    receiver.answer = () => 200;
    expect((await postJson(`${server.url}/v1/webhooks/dead-letters/${letters[0].id}/replay`, {}, adminToken('acme'))).status).toBe(202);
    await receiver.until('the replay', (r) => joinsOf(r, 'doomed').length === 4);
    expect(joinsOf(receiver, 'doomed')[3].headers).toMatchObject({ 'webhook-id': eventId, 'switchboard-attempt': '1' });
    const after = await getJson<Letters>(`${server.url}/v1/webhooks/dead-letters`, adminToken('acme'));
    expect(after.body.deadLetters.map((letter) => letter.eventId)).not.toContain(eventId);
    process.stdout.write(`webhook dead letter: receiver down for good (HTTP 503); 3 sends, dead-lettered, replayed once and delivered\n`);
  });

  it('never holds up sockets: joins and deliveries go on while every webhook request hangs', async () => {
    receiver.answer = () => 'hang';
    const before = receiver.received.length;
    // More hanging sends than WEBHOOK_CONCURRENCY (8): the senders are all stuck.
    for (let i = 0; i < 10; i++) await joinPresence(server.url, 'acme', `h${i}`, `hung-${i}`);
    await receiver.until('the senders are stuck', (r) => r.received.length - before >= 8);
    const board = await connect(server.url, '/orders', { token: staffToken('acme', ['s1']) });
    await board.subscribe('branch:s1');
    for (let i = 0; i < 5; i++) expect((await publish(server.url, orderUpdated('branch:s1', `while-hung-${i}`))).status).toBe(202);
    await board.until((c) => c.envelopes('branch:s1').length === 5);
    expect(receiver.received.length - before).toBe(8);
  });

  it('refuses the dead-letter routes when webhooks are off', async () => {
    const plain = await createTestApp();
    try {
      const answer = await getJson(`${plain.url}/v1/webhooks/dead-letters`, adminToken('acme'));
      expect(answer).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    } finally {
      await plain.close();
    }
  });
});

describe('webhooks on the Redis engine, across nodes', () => {
  let redis: RedisServer;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    buildOnce();
    redis = await RedisServer.start();
    receiver = await WebhookReceiver.start();
  });
  afterEach(() => closeAllClients());
  afterAll(async () => {
    await receiver?.close();
    await redis?.stop();
  });

  it('sends a channel reset seen by two nodes once', async () => {
    const a = await createTestApp({ REDIS_URL: redis.url, NODE_ID: 'reset-a', ...webhookEnv(receiver) });
    const b = await createTestApp({ REDIS_URL: redis.url, NODE_ID: 'reset-b', ...webhookEnv(receiver) });
    const raw = new Redis(redis.url);
    try {
      const clients = [
        await connect(a.url, '/orders', { token: staffToken('acme', ['r1']) }),
        await connect(b.url, '/orders', { token: staffToken('acme', ['r1']) }),
      ];
      for (const client of clients) await client.subscribe('branch:r1');
      await publish(a.url, orderUpdated('branch:r1', 1));
      for (const client of clients) await client.until((c) => c.envelopes().length === 1);

      // The channel's history is lost (as when Redis restarts without persistence): both nodes see the new epoch.
      await raw.del(...(await raw.keys('*branch:r1*')));
      await publish(a.url, orderUpdated('branch:r1', 2));
      for (const client of clients) await client.until((c) => c.events.some(([event]) => event === 'channel:reset'));

      await receiver.until('the reset webhook', (r) => r.ofType('channel:reset').length === 1);
      // Both nodes raised it; the queue kept one (the other counted as a duplicate), and nothing is left to send.
      const outcome = async (app: TestApp, value: string) =>
        sample(await scrape(`${app.url}/metrics`), 'switchboard_webhook_events_total', { type: 'channel:reset', outcome: value }) ?? 0;
      const raised = async () => ({
        queued: (await outcome(a, 'queued')) + (await outcome(b, 'queued')),
        duplicate: (await outcome(a, 'duplicate')) + (await outcome(b, 'duplicate')),
      });
      // Each node's enqueue and the sender's completion are recorded just after the request: wait for both.
      await eventually('both nodes raised it', async () => (await raised()).duplicate === 1, 5000);
      await eventually('the delivery is complete', async () => (await raw.zcard('sb:{wh}:due')) === 0, 5000);
      expect(await raised()).toEqual({ queued: 1, duplicate: 1 });
      expect(receiver.ofType('channel:reset')).toHaveLength(1);
      expect(receiver.ofType('channel:reset')[0].json.data).toMatchObject({
        companyId: 'acme',
        namespace: 'orders',
        channel: 'branch:r1',
        reason: 'EPOCH_CHANGED',
        seq: 0,
      });
    } finally {
      raw.disconnect();
      await a.close();
      await b.close();
    }
  });

  it('holds events raised while Redis is down in the process, and sends them once it is back', async () => {
    const own = await RedisServer.start({ persistent: true });
    const server = await createTestApp({ REDIS_URL: own.url, NODE_ID: 'outage', ...webhookEnv(receiver) });
    const metric = async (name: string, labels: Record<string, string> = {}) =>
      sample(await scrape(`${server.url}/metrics`), name, labels) ?? 0;
    try {
      await own.kill9();
      // Raised by the service API itself: every source needs Redis for its own state, the emitter must not.
      server.app.get(WebhookEmitter).notify('print:job-failed', 'acme', { jobId: 'during-outage' }, 'outage:during-outage');
      await eventually('the event is held', async () => (await metric('switchboard_webhook_buffered_events')) === 1, 5000);
      expect(receiver.ofType('print:job-failed').filter((r) => r.json.data.jobId === 'during-outage')).toHaveLength(0);
      await own.launch();
      await receiver.until(
        'the held event',
        (r) => r.ofType('print:job-failed').some((request) => request.json.data.jobId === 'during-outage'),
        15_000,
      );
      expect(await metric('switchboard_webhook_buffered_events')).toBe(0);
      expect(await metric('switchboard_webhook_events_total', { type: 'print:job-failed', outcome: 'queued' })).toBe(1);
      expect(receiver.ofType('print:job-failed').filter((r) => r.json.data.jobId === 'during-outage')).toHaveLength(1);
    } finally {
      await server.close();
      await own.stop();
    }
  }, 30_000);

  it('kill -9 of the node retrying a webhook: another node sends it, at least once and never lost', async () => {
    const env = {
      REDIS_URL: redis.url,
      JWT_SECRET: TEST_JWT_SECRET,
      ...webhookEnv(receiver, { WEBHOOK_TIMEOUT_MS: '1000', WEBHOOK_RETRY_BASE_MS: '100', WEBHOOK_MAX_ATTEMPTS: '5' }),
    };
    // The first send fails, the retry hangs (the node is killed while it waits), the next is answered.
    receiver.answer = (_index, request) => {
      if (!isBranchJoin(request, 'kill-user')) return 200;
      const sends = joinsOf(receiver, 'kill-user').length;
      return sends === 0 ? 500 : sends === 1 ? 'hang' : 200;
    };
    const doomed: ServerProcess = await startServerProcess({ ...env, NODE_ID: 'doomed' });
    let survivor: TestApp | undefined;
    try {
      await joinPresence(doomed.url, 'acme', 'k1', 'kill-user');
      await receiver.until('the retry in flight', (r) => joinsOf(r, 'kill-user').length === 2);
      await doomed.kill9();
      survivor = await createTestApp({ ...env, NODE_ID: 'survivor' });
      // The killed node's claim runs out (timeout + 5 s lease), then the survivor sends it.
      await receiver.until('the survivor sends it', (r) => joinsOf(r, 'kill-user').length === 3, 15_000);
      const sends = joinsOf(receiver, 'kill-user');
      expect(new Set(sends.map((send) => send.json.id)).size).toBe(1);
      expect(sends.map((send) => send.headers['switchboard-attempt'])).toEqual(['1', '2', '3']);
      for (const send of sends) expect(verify(send)).toEqual(send.json);
      let state: { queued: number; deadLetters: unknown[] } | undefined;
      // The survivor records the delivery just after the receiver answered it.
      await eventually(
        'the queue is empty',
        async () => {
          state = (
            await getJson<{ queued: number; deadLetters: unknown[] }>(`${survivor!.url}/v1/webhooks/dead-letters`, adminToken('acme'))
          ).body;
          return state.queued === 0;
        },
        5000,
      );
      expect(state).toEqual({ queued: 0, deadLetters: [] });
      process.stdout.write(
        `webhook kill -9 mid-retry: 1 event, ${sends.length} requests (1 failed, 1 cut by the kill, 1 delivered by the other node), 0 lost, 1 webhook-id\n`,
      );
    } finally {
      await doomed.kill9();
      await survivor?.close();
    }
  }, 40_000);
});
