import { closeAllClients, connect, connectError, type TestClient } from '../utils/clients';
import { getJson, postJson, type HttpResult } from '../utils/http';
import { TestAgent } from '../utils/printer-agent';
import { startRedis, type RedisBackend } from '../utils/redis-backend';
import { createTestApp, type TestApp } from '../utils/test-app';
import { sample, scrape } from '../utils/metrics';
import { adminToken, serviceToken, signToken, staffToken } from '../utils/tokens';

type JobView = {
  jobId: string;
  status: string;
  attempts: number;
  printerId: string | null;
  history: { status: string; at: number; detail?: string }[];
};

const ticket = (jobId: string, extra: Record<string, unknown> = {}) => ({
  jobId,
  branchId: 'b1',
  document: { contentType: 'application/vnd.escpos', data: Buffer.from(`ticket ${jobId}`).toString('base64') },
  orderId: `order-${jobId}`,
  correlationId: `corr-${jobId}`,
  ...extra,
});

describe.each(['memory', 'redis', 'cluster'] as const)('print jobs on the %s engine', (engine) => {
  let redis: RedisBackend | undefined;
  let nodes: TestApp[] = [];
  /** Keeps no document once a job leaves the queue (PRINT_DOCUMENT_RETENTION_SECONDS=0). */
  let forgetful: TestApp;
  const env = {
    PRINT_ACK_TIMEOUT_MS: '300',
    PRINT_RETRY_BASE_MS: '100',
    PRINT_AGENT_OFFLINE_ALERT_SECONDS: '1',
    PRINT_MAX_DOCUMENT_BYTES: '4096',
    CLUSTER_NODE_TTL_SECONDS: '2',
  };

  beforeAll(async () => {
    if (engine !== 'memory') redis = await startRedis(engine);
    nodes = [await createTestApp({ ...env, ...redis?.env })];
    if (redis) nodes.push(await createTestApp({ ...env, ...redis.env }));
    forgetful = await createTestApp({ ...env, ...redis?.env, PRINT_DOCUMENT_RETENTION_SECONDS: '0' });
  });
  afterEach(() => closeAllClients());
  afterAll(async () => {
    for (const node of nodes) await node.close();
    await forgetful.close();
    await redis?.stop();
  });

  const last = () => nodes[nodes.length - 1];
  const create = (body: Record<string, unknown>, token = serviceToken()) =>
    postJson<Record<string, unknown>>(`${nodes[0].url}/v1/print-jobs`, body, token);
  const get = (jobId: string, node = nodes[0]) => getJson<JobView>(`${node.url}/v1/print-jobs/${jobId}`, serviceToken());
  const remove = async (jobId: string): Promise<HttpResult> => {
    const response = await fetch(`${nodes[0].url}/v1/print-jobs/${jobId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${serviceToken()}` },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
  };
  const statusOf = async (jobId: string) => (await get(jobId)).body.status;
  const waitStatus = async (jobId: string, status: string, timeoutMs = 8000) => {
    const deadline = Date.now() + timeoutMs;
    while ((await statusOf(jobId)) !== status) {
      if (Date.now() > deadline) throw new Error(`${jobId} never became ${status}: ${JSON.stringify((await get(jobId)).body)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const dashboard = async (branch = 'b1'): Promise<TestClient> => {
    const client = await connect(nodes[0].url, '/orders', { token: staffToken('acme', [branch]) });
    await client.subscribe(`branch:${branch}`);
    return client;
  };
  const updates = (client: TestClient, jobId: string) =>
    client
      .envelopes()
      .filter((e) => e.event === 'print-job:updated' && (e.data as { jobId: string }).jobId === jobId)
      .map((e) => (e.data as { status: string }).status);
  let branchCounter = 0;
  const freshBranch = () => `${engine}-${++branchCounter}`;

  it('walks a ticket through queued, dispatched, acknowledged and printed, told to dashboards', async () => {
    const board = await dashboard();
    const agent = await TestAgent.connect(last().url);
    expect(await agent.register([{ id: 'kitchen-1' }])).toEqual({ ok: true, pending: expect.any(Number) });

    const created = await create(ticket('life-1', { copies: 2 }));
    expect([created.status, created.body]).toEqual([202, { jobId: 'life-1', status: 'queued' }]);
    await agent.until((a) => a.received('life-1').length === 1);
    expect(agent.received('life-1')[0]).toMatchObject({
      jobId: 'life-1',
      printerId: 'kitchen-1',
      document: { contentType: 'application/vnd.escpos', data: Buffer.from('ticket life-1').toString('base64') },
      copies: 2,
      correlationId: 'corr-life-1',
      orderId: 'order-life-1',
      attempt: 1,
    });
    await waitStatus('life-1', 'acknowledged');
    expect(await agent.report('life-1', 'printed')).toEqual({ ok: true, status: 'printed' });

    const view = (await get('life-1', last())).body;
    expect(view).toMatchObject({ jobId: 'life-1', status: 'printed', attempts: 1, printerId: 'kitchen-1' });
    expect(view.history.map((h) => h.status)).toEqual(['queued', 'dispatched', 'acknowledged', 'printed']);
    await board.until((c) => updates(c, 'life-1').includes('printed'));
    expect(updates(board, 'life-1')).toEqual(['queued', 'dispatched', 'acknowledged', 'printed']);
    const printed = board.envelopes().find((e) => e.event === 'print-job:updated' && (e.data as { status: string }).status === 'printed');
    expect(printed?.data).toEqual({
      jobId: 'life-1',
      status: 'printed',
      orderId: 'order-life-1',
      correlationId: 'corr-life-1',
      printerId: 'kitchen-1',
      at: expect.any(Number),
    });
  });

  it('records a failed print with its error, and refuses a contradicting report', async () => {
    const agent = await TestAgent.connect(nodes[0].url);
    await agent.register([{ id: 'p1' }]);
    await create(ticket('fail-1'));
    await agent.until((a) => a.received('fail-1').length === 1);
    await waitStatus('fail-1', 'acknowledged');
    expect(await agent.report('fail-1', 'failed', 'out of paper')).toEqual({ ok: true, status: 'failed' });
    expect(await agent.report('fail-1', 'failed')).toEqual({ ok: true, status: 'failed' });
    expect(await agent.report('fail-1', 'printed')).toMatchObject({ ok: false, error: { code: 'PRINT_JOB_CONFLICT' } });
    expect((await get('fail-1')).body.history.at(-1)).toMatchObject({ status: 'failed', detail: 'out of paper' });
  });

  it('creates a jobId once: a repeat answers 200 with the existing job, and only one ticket prints', async () => {
    const agent = await TestAgent.connect(nodes[0].url, { branch: 'idem' });
    await agent.register([{ id: 'p1' }]);
    expect((await create(ticket('idem-1', { branchId: 'idem' }))).status).toBe(202);
    const again = await create(ticket('idem-1', { branchId: 'idem', copies: 3 }));
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ jobId: 'idem-1', attempts: expect.any(Number), history: expect.any(Array) });
    await agent.until((a) => a.received('idem-1').length === 1);
    await create(ticket('idem-2', { branchId: 'idem' }));
    await agent.until((a) => a.received('idem-2').length === 1);
    expect(agent.received('idem-1')).toHaveLength(1);
    expect(agent.received('idem-1')[0].copies).toBe(1);
  });

  it('gives an agent that connects every pending job of its branch, in queue order', async () => {
    const branch = freshBranch();
    for (const id of ['q-a', 'q-b', 'q-c']) expect((await create(ticket(`${branch}-${id}`, { branchId: branch }))).status).toBe(202);
    // It does not ack, so all three stay pending while it registers.
    const agent = await TestAgent.connect(last().url, { branch, policy: 'ignore' });
    expect(await agent.register([{ id: 'p1' }])).toEqual({ ok: true, pending: 3 });
    await agent.until((a) => a.jobs.length >= 3);
    expect(agent.jobs.slice(0, 3).map((job) => job.jobId)).toEqual([`${branch}-q-a`, `${branch}-q-b`, `${branch}-q-c`]);
  });

  it('re-sends to an agent that disconnected before acking, and acknowledges the job exactly once', async () => {
    const branch = freshBranch();
    const flaky = await TestAgent.connect(nodes[0].url, { branch, policy: 'ignore' });
    await flaky.register([{ id: 'p1' }]);
    await create(ticket(`${branch}-once`, { branchId: branch }));
    await flaky.until((a) => a.jobs.length === 1);
    flaky.close();

    const back = await TestAgent.connect(last().url, { branch });
    await back.register([{ id: 'p1' }]);
    await back.until((a) => a.received(`${branch}-once`).length === 1);
    await waitStatus(`${branch}-once`, 'acknowledged');
    const view = (await get(`${branch}-once`)).body;
    expect(back.received(`${branch}-once`)[0].attempt).toBe(2);
    expect(view.history.filter((h) => h.status === 'acknowledged')).toHaveLength(1);
    expect(view.history.some((h) => h.detail?.includes('disconnected before acknowledging'))).toBe(true);
  });

  it('retries an unacknowledged job with growing delays until it expires, and tells the agent to drop it', async () => {
    const branch = freshBranch();
    const board = await dashboard(branch);
    const silent = await TestAgent.connect(nodes[0].url, { branch, policy: 'ignore' });
    await silent.register([{ id: 'p1' }]);
    const cancelled = new Promise<unknown>((resolve) => silent.client.socket.once('print:job-cancelled', resolve));
    await create(ticket(`${branch}-never`, { branchId: branch, ttlSeconds: 3 }));
    await waitStatus(`${branch}-never`, 'expired', 10_000);
    expect(await cancelled).toEqual({ jobId: `${branch}-never`, reason: 'expired' });

    const attempts = silent.received(`${branch}-never`);
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    expect(attempts.map((job) => job.attempt)).toEqual(attempts.map((_, i) => i + 1));
    // Attempt n+1 comes no sooner than the 300 ms ack timeout plus a backoff of 100, 200, 400 … ms.
    // (Lower bounds only: timers never fire early, but a loaded machine may fire them late.)
    const gaps = attempts.slice(1).map((job, i) => job.receivedAt - attempts[i].receivedAt);
    gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(300 + 100 * 2 ** i - 5));
    await board.until((c) => updates(c, `${branch}-never`).includes('expired'));
    const sent = attempts.length;
    expect((await get(`${branch}-never`)).body.attempts).toBe(sent);
  }, 20_000);

  it('retries a refused job later, on an agent that accepts it', async () => {
    const branch = freshBranch();
    const jammed = await TestAgent.connect(nodes[0].url, { branch, policy: 'refuse' });
    await jammed.register([{ id: 'p1' }]);
    await create(ticket(`${branch}-refused`, { branchId: branch }));
    await jammed.until((a) => a.jobs.length === 1);
    jammed.policy = 'accept';
    await jammed.until((a) => a.jobs.length === 2);
    await waitStatus(`${branch}-refused`, 'acknowledged');
    expect((await get(`${branch}-refused`)).body.history.some((h) => h.detail?.includes('printer jammed'))).toBe(true);
  });

  it('sends each job to one of two agents of a branch, never both', async () => {
    const branch = freshBranch();
    const a = await TestAgent.connect(nodes[0].url, { branch, sub: 'agent-a' });
    const b = await TestAgent.connect(last().url, { branch, sub: 'agent-b' });
    await a.register([{ id: 'pa' }]);
    await b.register([{ id: 'pb' }]);
    const ids = Array.from({ length: 6 }, (_, i) => `${branch}-pair-${i}`);
    for (const id of ids) await create(ticket(id, { branchId: branch }));
    for (const id of ids) await waitStatus(id, 'acknowledged');
    for (const id of ids) expect(a.received(id).length + b.received(id).length).toBe(1);
  });

  it('sends a job for a printer only to the agent that registered it, once it is ready', async () => {
    const branch = freshBranch();
    const other = await TestAgent.connect(nodes[0].url, { branch, sub: 'other' });
    await other.register([{ id: 'receipt-1', kind: 'receipt' }]);
    const owner = await TestAgent.connect(last().url, { branch, sub: 'owner' });
    await owner.register([{ id: 'label-1', kind: 'label', status: 'offline' }]);
    await create(ticket(`${branch}-label`, { branchId: branch, printerId: 'label-1' }));
    expect((await get(`${branch}-label`)).body.status).toBe('queued');
    expect(await owner.client.emitAck('printers:status', { printerId: 'label-1', status: 'ready' })).toEqual({ ok: true });
    await owner.until((a) => a.received(`${branch}-label`).length === 1);
    expect(owner.received(`${branch}-label`)[0].printerId).toBe('label-1');
    expect(other.jobs).toHaveLength(0);
    expect(await owner.client.emitAck('printers:status', { printerId: 'nope', status: 'ready' })).toMatchObject({
      ok: false,
      error: { code: 'PRINTER_UNKNOWN' },
    });
  });

  it('cancels a job nobody acknowledged, and refuses to cancel one that was', async () => {
    const branch = freshBranch();
    await create(ticket(`${branch}-cancel`, { branchId: branch }));
    const cancelled = await remove(`${branch}-cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled' });
    const agent = await TestAgent.connect(nodes[0].url, { branch });
    expect(await agent.register([{ id: 'p1' }])).toEqual({ ok: true, pending: 0 });

    await create(ticket(`${branch}-done`, { branchId: branch }));
    await waitStatus(`${branch}-done`, 'acknowledged');
    const refused = await remove(`${branch}-done`);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: { code: 'PRINT_JOB_CONFLICT', details: { status: 'acknowledged' } } });
    expect((await remove('no-such-job')).status).toBe(404);
    expect(agent.received(`${branch}-cancel`)).toHaveLength(0);
  });

  const resend = (jobId: string, body: Record<string, unknown> = {}, token = serviceToken(), node = nodes[0]) =>
    postJson<JobView & { resentFrom: string | null; copies: number; error: { code: string; details: unknown } }>(
      `${node.url}/v1/print-jobs/${jobId}/resend`,
      body,
      token,
    );

  it('resends a job that left the queue as a new job with the same document, printer and copies, noted on both', async () => {
    const branch = freshBranch();
    const id = `${branch}-re`;
    const agent = await TestAgent.connect(last().url, { branch });
    await agent.register([{ id: 'p1' }, { id: 'p2' }]);
    await create(ticket(id, { branchId: branch, copies: 2, printerId: 'p2' }));
    await waitStatus(id, 'acknowledged');
    expect(await agent.report(id, 'printed')).toEqual({ ok: true, status: 'printed' });

    const copy = await resend(id);
    expect(copy.status).toBe(202);
    expect(copy.body).toMatchObject({ jobId: `${id}.r1`, resentFrom: id, copies: 2, branchId: branch, status: 'queued' });
    await agent.until((a) => a.received(`${id}.r1`).length === 1);
    expect(agent.received(`${id}.r1`)[0]).toMatchObject({
      printerId: 'p2',
      copies: 2,
      resentFrom: id,
      orderId: `order-${id}`,
      document: { contentType: 'application/vnd.escpos', data: Buffer.from(`ticket ${id}`).toString('base64') },
    });
    expect(agent.received(id)[0]).toMatchObject({ resentFrom: null });
    const original = (await get(id, last())).body;
    expect(original.status).toBe('printed');
    expect(original.history.at(-1)).toMatchObject({ status: 'printed', detail: `resent as ${id}.r1` });

    // Each resend is a new copy; one asked for under a newJobId is made once, however often it is asked.
    expect((await resend(id)).body).toMatchObject({ jobId: `${id}.r2` });
    expect((await resend(id, { newJobId: `${id}-again` })).status).toBe(202);
    const repeat = await resend(id, { newJobId: `${id}-again` }, serviceToken(), last());
    expect([repeat.status, repeat.body.jobId]).toEqual([200, `${id}-again`]);
    // A resend of a resend works too: the copy keeps its own document.
    await waitStatus(`${id}.r1`, 'acknowledged');
    expect((await resend(`${id}.r1`)).body).toMatchObject({ jobId: `${id}.r1.r1`, resentFrom: `${id}.r1` });
    await agent.until((a) => ['.r2', '-again', '.r1.r1'].every((suffix) => a.received(`${id}${suffix}`).length === 1));
    expect(agent.received(`${id}-again`)).toHaveLength(1);
  });

  it('refuses to resend a pending job, a foreign or unknown one, onto a taken jobId, or once the document is gone', async () => {
    const branch = freshBranch();
    await create(ticket(`${branch}-waiting`, { branchId: branch }));
    const pending = await resend(`${branch}-waiting`);
    expect([pending.status, pending.body.error]).toEqual([
      409,
      expect.objectContaining({ code: 'PRINT_JOB_CONFLICT', details: { status: 'queued' } }),
    ]);
    expect((await remove(`${branch}-waiting`)).status).toBe(200);

    await create(ticket(`${branch}-other`, { branchId: branch }));
    const taken = await resend(`${branch}-waiting`, { newJobId: `${branch}-other` });
    expect([taken.status, taken.body.error.code]).toEqual([409, 'PRINT_JOB_CONFLICT']);
    expect((await get(`${branch}-waiting`)).body.history.map((entry) => entry.status)).toEqual(['queued', 'cancelled']);
    const foreign = await resend(`${branch}-waiting`, {}, serviceToken('globex'));
    expect([foreign.status, foreign.body.error.code]).toEqual([404, 'PRINT_JOB_NOT_FOUND']);
    expect((await resend('no-such-job')).status).toBe(404);
    const invalid = await resend(`${branch}-waiting`, { newJobId: 'no spaces' });
    expect([invalid.status, invalid.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const staff = await resend(`${branch}-waiting`, {}, staffToken());
    expect(staff.status).toBe(403);

    // A node keeping no document: cancelled there, the job cannot be printed again.
    await postJson(`${forgetful.url}/v1/print-jobs`, ticket(`${branch}-gone`, { branchId: branch }), serviceToken());
    const cancelled = await fetch(`${forgetful.url}/v1/print-jobs/${branch}-gone`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${serviceToken()}` },
    });
    expect(cancelled.status).toBe(200);
    const gone = await resend(`${branch}-gone`, {}, serviceToken(), forgetful);
    expect([gone.status, gone.body.error]).toEqual([
      410,
      expect.objectContaining({ code: 'PRINT_DOCUMENT_GONE', details: { documentRetentionSeconds: 0 } }),
    ]);
  });

  it('validates requests with typed errors', async () => {
    const bad: [Record<string, unknown>, number, string][] = [
      [{ ...ticket('v1'), document: { contentType: 'image/png', data: 'AA==' } }, 400, 'VALIDATION_FAILED'],
      [{ ...ticket('v2'), document: { contentType: 'application/pdf', data: 'not base64!' } }, 400, 'VALIDATION_FAILED'],
      [{ ...ticket('v3'), copies: 11 }, 400, 'VALIDATION_FAILED'],
      [{ ...ticket('v4'), jobId: 'has space' }, 400, 'VALIDATION_FAILED'],
      [{ ...ticket('v5'), document: { contentType: 'text/plain', data: 'x'.repeat(5000) } }, 413, 'PAYLOAD_TOO_LARGE'],
      [{ ...ticket('v6'), document: undefined }, 400, 'VALIDATION_FAILED'],
    ];
    for (const [body, status, code] of bad) {
      const result = await create(body);
      expect([result.status, (result.body as { error: { code: string } }).error.code]).toEqual([status, code]);
    }
    expect((await create(ticket('v7'), staffToken())).status).toBe(403);
    expect((await create(ticket('v8'), serviceToken('*'))).status).toBe(400);
    expect((await create({ ...ticket('v9'), companyId: 'acme' }, serviceToken('*'))).status).toBe(202);
  });

  it('keeps tenants and branches apart', async () => {
    await create(ticket('tenant-1'));
    const foreign = await getJson<{ error: { code: string } }>(`${nodes[0].url}/v1/print-jobs/tenant-1`, serviceToken('globex'));
    expect([foreign.status, foreign.body.error.code]).toEqual([404, 'PRINT_JOB_NOT_FOUND']);
    const otherBranch = await TestAgent.connect(nodes[0].url, { branch: 'elsewhere' });
    expect(await otherBranch.report('tenant-1', 'printed')).toMatchObject({ ok: false, error: { code: 'PRINT_JOB_NOT_FOUND' } });
  });

  it('admits printer agents for exactly one branch, and admins who watch', async () => {
    const twoBranches = signToken({ companyId: 'acme', branchIds: ['b1', 'b2'], roles: ['printer-agent'] });
    expect((await connectError(nodes[0].url, '/printing-ws', { token: twoBranches })).message).toBe('FORBIDDEN');
    const wildcard = signToken({ companyId: 'acme', branchIds: ['*'], roles: ['printer-agent'] });
    expect((await connectError(nodes[0].url, '/printing-ws', { token: wildcard })).message).toBe('FORBIDDEN');
    expect((await connectError(nodes[0].url, '/printing-ws', { token: staffToken() })).message).toBe('FORBIDDEN');

    const branch = freshBranch();
    const admin = await connect(nodes[0].url, '/printing-ws', { token: adminToken() });
    await admin.subscribe(`branch:${branch}`);
    // Refused by the gateway's guard (@CommandRoles), before validation and the handler.
    expect(await admin.emitAck('printers:register', { printers: [] })).toEqual({
      ok: false,
      error: { code: 'FORBIDDEN', message: 'printers:register is for printer-agent tokens only' },
    });
    expect(await admin.emitAck('print:job-status', { nonsense: true })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const agent = await TestAgent.connect(last().url, { branch });
    await agent.register([{ id: 'p1' }]);
    await create(ticket(`${branch}-watched`, { branchId: branch }));
    await admin.until((c) =>
      c.envelopes().some((e) => e.event === 'print-job:updated' && (e.data as { status: string }).status === 'acknowledged'),
    );
    expect(admin.envelopes().some((e) => e.event === 'printers:updated')).toBe(true);
  });

  it('moves an agent refreshed to another branch: its unanswered job goes back to the old branch, and only new-branch jobs reach it', async () => {
    const mover = await TestAgent.connect(last().url, { sub: 'mover', branch: 'm1', policy: 'ignore' });
    await mover.register([{ id: 'p1' }]);
    expect((await create(ticket('mv1', { branchId: 'm1' }))).status).toBe(202);
    await mover.until((agent) => agent.received('mv1').length === 1);
    const next = signToken({ sub: 'mover', branchIds: ['m2'], roles: ['printer-agent'] }, { expiresIn: 7200 });
    expect(await mover.client.emitAck('auth:refresh', { token: next })).toMatchObject({ ok: true });
    mover.policy = 'accept';

    const stayer = await TestAgent.connect(last().url, { sub: 'stayer', branch: 'm1' });
    await stayer.until((agent) => agent.received('mv1').length >= 1);
    expect((await create(ticket('mv2', { branchId: 'm1' }))).status).toBe(202);
    await stayer.until((agent) => agent.received('mv2').length === 1);
    expect((await create(ticket('mv3', { branchId: 'm2' }))).status).toBe(202);
    await mover.until((agent) => agent.received('mv3').length === 1);
    expect(mover.received('mv1')).toHaveLength(1);
    expect(mover.received('mv2')).toEqual([]);
    await waitStatus('mv1', 'acknowledged');
  });

  it('alerts /orders when a branch loses its last agent for the threshold, shows it in health, and clears it', async () => {
    const branch = freshBranch();
    const board = await connect(nodes[0].url, '/orders', { token: adminToken() });
    await board.subscribe('company:acme');
    const agent = await TestAgent.connect(last().url, { branch, sub: 'front-desk' });
    await agent.register([{ id: 'p1' }], 'front-desk-pc');
    const ofBranch = (event: string) =>
      board.envelopes().filter((e) => e.event === event && (e.data as { branchId: string }).branchId === branch);

    const leftAt = Date.now();
    agent.close();
    await board.until(() => ofBranch('printing:agent-offline').length === 1, 8000);
    const alert = ofBranch('printing:agent-offline')[0].data as { since: number };
    expect(alert).toEqual({ branchId: branch, agentId: 'front-desk-pc', since: expect.any(Number) });
    expect(alert.since).toBeGreaterThanOrEqual(leftAt - 50);
    expect(Date.now() - leftAt).toBeGreaterThanOrEqual(1000);

    const health = await getJson<{ details: { websocket: { printing: { offlineBranches: { branchId: string }[] } } } }>(
      `${nodes[0].url}/health/websocket`,
    );
    expect(health.body.details.websocket.printing.offlineBranches.map((b) => b.branchId)).toContain(branch);
    // The per-branch series an alert rule can use, on every node (cluster-wide state), bounded to the 50 longest offline.
    for (const node of nodes) {
      const text = await scrape(`${node.url}/metrics`);
      expect(sample(text, 'switchboard_print_agent_offline_seconds', { company: 'acme', branch })).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'switchboard_print_branches_without_agent')).toBeGreaterThanOrEqual(1);
    }

    await TestAgent.connect(nodes[0].url, { branch, sub: 'front-desk' });
    await board.until(() => ofBranch('printing:agent-online').length === 1, 8000);
    const healed = await getJson<{ details: { websocket: { printing: { offlineBranches: { branchId: string }[] } } } }>(
      `${nodes[0].url}/health/websocket`,
    );
    expect(healed.body.details.websocket.printing.offlineBranches.map((b) => b.branchId)).not.toContain(branch);
    expect(
      sample(await scrape(`${nodes[0].url}/metrics`), 'switchboard_print_agent_offline_seconds', { company: 'acme', branch }),
    ).toBeUndefined();
    expect(ofBranch('printing:agent-offline')).toHaveLength(1);
  }, 20_000);
});
