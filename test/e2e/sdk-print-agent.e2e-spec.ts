import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStorage, type KeyValueStorage, type PrintJobPayload } from '../../packages/client/src/index.js';
import { FileStorage } from '../../packages/client/src/node.js';
import { eventually } from '../utils/eventually';
import { getJson, postJson } from '../utils/http';
import { closeSdkClients, Recorder, sdkClient } from '../utils/sdk';
import { createTestApp, type TestApp } from '../utils/test-app';
import { serviceToken, signToken, staffToken } from '../utils/tokens';

const agentToken = (sub = 'agent-1') => signToken({ sub, branchIds: ['b1'], roles: ['printer-agent'] });
const KITCHEN = [{ id: 'kitchen-1', name: 'Kitchen', kind: 'kitchen' as const, status: 'ready' as const }];

const ticket = (jobId: string) => ({
  jobId,
  branchId: 'b1',
  printerId: 'kitchen-1',
  document: { contentType: 'text/plain', data: `ticket ${jobId}` },
  orderId: `order-${jobId}`,
});

/** Storage whose writes are slow: the agent's acknowledgement waits for them, so the server sends the job again meanwhile. */
class SlowStorage implements KeyValueStorage {
  private readonly items = new MemoryStorage();

  constructor(private readonly delayMs: number) {}

  getItem(key: string): string | null {
    return this.items.getItem(key);
  }

  async setItem(key: string, value: string): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    this.items.setItem(key, value);
  }

  removeItem(key: string): void {
    this.items.removeItem(key);
  }
}

/** The printing-agent helper against the real /printing-ws and /v1/print-jobs. */
describe('@switchboard/client print agent', () => {
  let server: TestApp;
  const status = async (jobId: string) =>
    (await getJson<{ status: string; attempts: number }>(`${server.url}/v1/print-jobs/${jobId}`, serviceToken())).body;
  const waitStatus = (jobId: string, wanted: string) =>
    eventually(`${jobId} ${wanted}`, async () => (await status(jobId)).status === wanted, 10_000);
  const create = async (jobId: string) =>
    expect((await postJson(`${server.url}/v1/print-jobs`, ticket(jobId), serviceToken())).status).toBe(202);

  beforeAll(async () => {
    server = await createTestApp({ PRINT_ACK_TIMEOUT_MS: '300', PRINT_RETRY_BASE_MS: '100' });
  });
  afterEach(() => closeSdkClients());
  afterAll(() => server.close());

  it('registers its printers, prints each job once through the handler, and reports it printed (dashboards see it)', async () => {
    const dashboard = new Recorder<'orders'>();
    const orders = sdkClient(server.url, { token: staffToken() }).namespace('orders');
    dashboard.follow(orders, 'branch:b1');
    await dashboard.subscribedTo('branch:b1');

    const printed: PrintJobPayload[] = [];
    const agent = sdkClient(server.url, { token: agentToken() }).printAgent();
    agent.onJob((job) => {
      printed.push(job);
    });
    expect(await agent.registerPrinters(KITCHEN)).toMatchObject({ ok: true });
    await create('t-1');
    await waitStatus('t-1', 'printed');
    expect(printed.map((job) => [job.jobId, job.printerId, job.document.data])).toEqual([['t-1', 'kitchen-1', 'ticket t-1']]);
    expect(agent.jobs().map((entry) => [entry.jobId, entry.state, entry.reported])).toEqual([['t-1', 'printed', true]]);
    await dashboard.waitFor((r) => r.events.some((event) => event.event === 'print-job:updated' && event.data.status === 'printed'));
  });

  it('reports a throwing handler as failed, with its message', async () => {
    const agent = sdkClient(server.url, { token: agentToken('agent-2') }).printAgent();
    agent.onJob(() => {
      throw new Error('out of paper');
    });
    await agent.registerPrinters(KITCHEN);
    await create('t-2');
    await waitStatus('t-2', 'failed');
    const view = await getJson<{ history: { status: string; detail?: string }[] }>(`${server.url}/v1/print-jobs/t-2`, serviceToken());
    expect(JSON.stringify(view.body.history)).toContain('out of paper');
  });

  it('never prints a job twice when the server sends it again (its first acknowledgement came too late)', async () => {
    const printed: string[] = [];
    // Two at a time, so that only the journal (not the one-at-a-time queue) stands between a resend and a second print.
    const agent = sdkClient(server.url, { token: agentToken('agent-3'), storage: new SlowStorage(600) }).printAgent({ concurrency: 2 });
    agent.onJob((job) => {
      printed.push(`${job.jobId}#${job.attempt}`);
    });
    await agent.registerPrinters(KITCHEN);
    await create('t-3');
    await waitStatus('t-3', 'printed');
    expect((await status('t-3')).attempts).toBeGreaterThanOrEqual(2);
    expect(printed).toHaveLength(1);
  });

  it('prints after a restart what it had accepted but not printed, without the server sending it again', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'sb-agent-'));
    const first = sdkClient(server.url, { token: agentToken('agent-4'), storage: new FileStorage(directory) });
    const before = first.printAgent();
    // No handler yet: the job is journaled and acknowledged, then the agent stops.
    await before.registerPrinters(KITCHEN);
    await create('t-4');
    await waitStatus('t-4', 'acknowledged');
    await eventually('journaled', () => before.jobs().some((entry) => entry.jobId === 't-4' && entry.state === 'queued'), 5000);
    first.close();

    const printed: string[] = [];
    const after = sdkClient(server.url, { token: agentToken('agent-4'), storage: new FileStorage(directory) }).printAgent();
    after.onJob((job) => {
      printed.push(job.jobId);
    });
    await after.registerPrinters(KITCHEN);
    await waitStatus('t-4', 'printed');
    expect(printed).toEqual(['t-4']);
    expect((await status('t-4')).attempts).toBe(1);
  });

  it('after a crash mid-print, reports the job failed ("interrupted") instead of printing it again', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'sb-agent-'));
    const first = sdkClient(server.url, { token: agentToken('agent-5'), storage: new FileStorage(directory) });
    const before = first.printAgent();
    let started = false;
    before.onJob(() => {
      started = true;
      return new Promise<void>(() => undefined); // the printer hangs; then the process dies
    });
    await before.registerPrinters(KITCHEN);
    await create('t-5');
    await eventually('printing', () => started, 5000);
    first.close();

    const printed: string[] = [];
    const after = sdkClient(server.url, { token: agentToken('agent-5'), storage: new FileStorage(directory) }).printAgent();
    after.onJob((job) => {
      printed.push(job.jobId);
    });
    await after.registerPrinters(KITCHEN);
    await waitStatus('t-5', 'failed');
    expect(printed).toEqual([]);
    const view = await getJson<{ history: { detail?: string }[] }>(`${server.url}/v1/print-jobs/t-5`, serviceToken());
    expect(JSON.stringify(view.body.history)).toContain('interrupted');
  });
});
