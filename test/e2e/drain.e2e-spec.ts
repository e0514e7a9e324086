import { closeAllClients, connect, connectError, type TestClient } from '../utils/clients';
import { getJson, postJson } from '../utils/http';
import { TestAgent } from '../utils/printer-agent';
import { RedisServer } from '../utils/redis-server';
import { buildOnce, startServerProcess, type ServerProcess } from '../utils/server-process';
import { createTestApp, type TestApp } from '../utils/test-app';
import { serviceToken, staffToken, TEST_JWT_SECRET } from '../utils/tokens';

const CLIENTS = 20;
const DEADLINE_SECONDS = 8;

async function statusOf(url: string, path: string, wanted: number, timeoutMs = 10_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await getJson(`${url}${path}`);
    if (result.status === wanted) return result.body;
    if (Date.now() > deadline) throw new Error(`${path} stayed ${result.status}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * SIGTERM on a real server process (dist/main.js) with clients and an unanswered print job:
 * the drain sequence of docs/operations.md, observed from outside.
 */
describe('graceful drain on SIGTERM', () => {
  let redis: RedisServer;
  let peer: TestApp;
  let doomed: ServerProcess;

  beforeAll(async () => {
    buildOnce();
    redis = await RedisServer.start();
    const env = { REDIS_URL: redis.url, JWT_SECRET: TEST_JWT_SECRET, PRINT_ACK_TIMEOUT_MS: '60000' };
    peer = await createTestApp(env);
    doomed = await startServerProcess({ ...env, DRAIN_DEADLINE_SECONDS: String(DEADLINE_SECONDS) });
  }, 120_000);
  afterAll(async () => {
    closeAllClients();
    await doomed.kill9();
    await peer.close();
    await redis.stop();
  });

  it('goes unready, refuses new sessions, tells and disconnects clients in batches, requeues print jobs, exits 0 in time', async () => {
    const clients: TestClient[] = [];
    const draining: number[] = [];
    const disconnectedAt = new Map<TestClient, number>();
    const disconnects: Promise<void>[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const client = await connect(doomed.url, '/orders', {
        token: staffToken('acme', ['d1']),
        listeners: { 'server:draining': (payload: { reconnectAfterMs: number }) => draining.push(payload.reconnectAfterMs) },
      });
      disconnects.push(
        new Promise((resolve) =>
          client.socket.once('disconnect', () => {
            disconnectedAt.set(client, Date.now());
            resolve();
          }),
        ),
      );
      clients.push(client);
    }

    // A print job delivered to an agent on the doomed instance that never answers it.
    const silent = await TestAgent.connect(doomed.url, { branch: 'drain', policy: 'ignore' });
    await silent.register([{ id: 'p1' }]);
    silent.client.socket.on('server:draining', (payload: { reconnectAfterMs: number }) => draining.push(payload.reconnectAfterMs));
    const ticket = { jobId: 'drain-1', branchId: 'drain', document: { contentType: 'text/plain', data: 'ticket' } };
    expect((await postJson(`${peer.url}/v1/print-jobs`, ticket, serviceToken())).status).toBe(202);
    await silent.until((agent) => agent.received('drain-1').length === 1);
    const taker = await TestAgent.connect(peer.url, { sub: 'agent-2', branch: 'drain' });
    await taker.register([{ id: 'p2' }]);

    const exited = doomed.stop();
    const signalledAt = Date.now();

    // 1. Readiness goes down while the process still answers HTTP; liveness stays up.
    const ready = await statusOf(doomed.url, '/health/ready', 503);
    expect(ready).toMatchObject({ details: { lifecycle: { status: 'down', draining: true } } });
    expect((await getJson(`${doomed.url}/health/live`)).status).toBe(200);

    // 2. No new sessions.
    // Over polling, whose refusal has a status (a refused WebSocket upgrade carries none): the
    // Engine.IO handshake is refused with 403 before any session exists.
    const refused = await connectError(doomed.url, '/orders', { token: staffToken('acme', ['d1']), transports: ['polling'] });
    expect([refused.message, (refused as unknown as { description: unknown }).description]).toEqual(['xhr poll error', 403]);

    // 3. Every client is told, with a jittered delay, then disconnected in batches.
    await Promise.all(disconnects);
    expect(draining).toHaveLength(CLIENTS + 1); // the silent agent too
    expect(new Set(draining).size).toBeGreaterThan(1);
    for (const delay of draining) expect(delay).toBeGreaterThanOrEqual(0);
    const times = [...disconnectedAt.values()].sort((a, b) => a - b);
    // Batches of 10 % (21 sockets: 7 batches of 3, 400 ms apart with an 8 s deadline): never
    // everyone at once. Timers only fire late, so these lower bounds are safe.
    expect(times.filter((at) => at - times[0] < 100).length).toBeLessThanOrEqual(4);
    expect(times[times.length - 1] - times[0]).toBeGreaterThanOrEqual(2000);

    // 4. The unanswered job goes back to the queue and an agent elsewhere prints it, long before its 60 s ack timeout.
    await taker.until((agent) => agent.received('drain-1').length === 1, DEADLINE_SECONDS * 1000);
    expect(taker.received('drain-1')[0].attempt).toBe(2);

    // 7. Exit 0 within the deadline.
    expect(await exited).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(DEADLINE_SECONDS * 1000);
    // The agent's disconnect already handed the job back; requeueAll is the backstop (0 or 1 here).
    expect(doomed.output()).toMatch(/requeuedPrintJobs\W+[01]\b/);
    expect(doomed.output()).toMatch(/queueFlushed\W+true/);
  }, 60_000);
});
