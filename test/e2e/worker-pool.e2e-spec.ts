import cluster from 'node:cluster';
import { join } from 'node:path';
import { WorkerPool } from '../../src/primary/worker-pool';

/**
 * The sticky primary's worker pool with real cluster workers (a fixture that only says it is
 * ready). The primary must survive what a dying worker does to it.
 */
describe('WorkerPool (real cluster workers)', () => {
  const lines: string[] = [];
  const log = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
  let pool: WorkerPool;

  beforeAll(async () => {
    cluster.setupPrimary({ exec: join(__dirname, '..', 'fixtures', 'cluster', 'ready-worker.cjs'), args: [], silent: true });
    pool = new WorkerPool({ size: 1, drainDeadlineSeconds: 1, log });
    await pool.start();
  }, 30_000);

  // No replacement is forked once the pool stops; the live ones exit on the drain request.
  afterAll(() => pool.stop(), 30_000);

  it('survives a message sent, without a callback, to a worker killed outright and not yet reaped', async () => {
    const [id] = pool.workerIds;
    const worker = cluster.workers?.[id];
    if (!worker) throw new Error('no worker');
    const disconnected = new Promise((resolve) => worker.process.once('disconnect', resolve));
    worker.process.kill('SIGKILL');
    await disconnected;
    // What @socket.io/sticky does when a client closes a relayed request: no callback.
    expect(cluster.workers?.[id]).toBe(worker);
    worker.send({ type: 'sticky:abort', connectionId: 'c1' });
    // Unhandled, the channel's 'error' event would be thrown on the next tick, in this process.
    await new Promise((resolve) => worker.once('exit', resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toContain(`worker ${id}: Channel closed`);
    expect(lines.some((line) => line.startsWith(`worker ${id} died (SIGKILL)`))).toBe(true);
  });
});
