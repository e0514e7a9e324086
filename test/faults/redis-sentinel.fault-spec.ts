import { track, untrack } from '../utils/background';
import { closeAllClients, type TestClient } from '../utils/clients';
import { getJson, postJson } from '../utils/http';
import { sample, scrape } from '../utils/metrics';
import { SentinelTopology } from '../utils/redis-sentinel';
import type { TestApp } from '../utils/test-app';
import { serviceToken } from '../utils/tokens';
import { account, describeMissing, subscribedNodes, type Accounting } from '../utils/failover-accounting';
import { caughtUp, Traffic } from '../utils/traffic';

const CHANNELS = ['branch:f1', 'branch:f2', 'branch:f3', 'company:acme'];
const PER_CHANNEL_PER_SECOND = 25; // 4 channels: 100 events/s in total
const CLIENTS_PER_NODE = 11; // 22 subscribers
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Print jobs created one after another (~50/s) through both nodes; 503s are counted and the job is tried again with its jobId. */
class PrintTraffic {
  readonly accepted: string[] = [];
  refused = 0;
  /** Why attempts were refused: status and error message, with counts (printed, for diagnosis). */
  readonly reasons = new Map<string, number>();
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly urls: readonly string[]) {}

  start(): void {
    this.running = true;
    track(this);
    this.loop = (async () => {
      for (let i = 0; this.running && i < 10_000; i++) {
        const jobId = `fo-${i}`;
        const body = { jobId, branchId: 'f1', document: { contentType: 'text/plain', data: `ticket ${jobId}` } };
        for (let attempt = 0; this.running && attempt < 100; attempt++) {
          const result = await postJson(`${this.urls[i % this.urls.length]}/v1/print-jobs`, body, serviceToken()).catch(() => undefined);
          // 202: created. 200: the job already exists, which a retry of an attempt answered 503
          // after its write ("not on a Redis replica yet") meets; both answer once a replica holds it.
          if (result?.status === 202 || result?.status === 200) {
            this.accepted.push(jobId);
            break;
          }
          this.refused += 1;
          const reason = result
            ? `${result.status} ${(result.body as { error?: { message?: string } }).error?.message ?? ''}`
            : 'no answer';
          this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
          await sleep(100);
        }
        await sleep(20);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    untrack(this);
    await this.loop;
  }

  /** Accepted jobs the API no longer knows. */
  async missing(url: string): Promise<string[]> {
    const lost: string[] = [];
    for (const jobId of this.accepted) {
      if ((await getJson(`${url}/v1/print-jobs/${jobId}`, serviceToken())).status !== 200) lost.push(jobId);
    }
    return lost;
  }
}

describe('Sentinel: one master, one replica, three sentinels; two nodes, 22 subscribers, 100 events/s', () => {
  let topology: SentinelTopology;
  let nodes: TestApp[];
  let clients: TestClient[];

  beforeEach(async () => {
    topology = await SentinelTopology.start();
    const env = { ...topology.env, CLUSTER_NODE_TTL_SECONDS: '3' };
    ({ nodes, clients } = await subscribedNodes(env, CHANNELS, ['f1', 'f2', 'f3'], CLIENTS_PER_NODE));
  }, 90_000);
  afterEach(async () => {
    closeAllClients();
    for (const node of nodes ?? []) await node.close();
    await topology?.stop();
  });

  async function run(label: string, switchOver: () => Promise<{ promoted: number }>): Promise<Accounting & { promoted: number }> {
    const traffic = new Traffic(
      nodes.map((node) => node.url),
      CHANNELS,
      PER_CHANNEL_PER_SECOND,
    );
    traffic.start();
    const printing = new PrintTraffic(nodes.map((node) => node.url));
    printing.start();
    await sleep(1000);
    const started = Date.now();
    const { promoted } = await switchOver();
    const failoverMs = Date.now() - started;
    const jobsBefore = printing.accepted.length;
    // Traffic on the new master, then everything accepted must arrive (or be reset).
    await sleep(2000);
    const jobsOnNewMaster = printing.accepted.length - jobsBefore;
    await traffic.stop();
    await printing.stop();
    // Every print job that was answered 202 exists on the new master: none was written to a
    // master about to be demoted (they were refused with 503 during the failover, and retried).
    const lost = await printing.missing(nodes[0].url);
    await Promise.all(
      clients.map((client) =>
        // A client told EPOCH_CHANGED on a channel may legitimately never get that channel's lost
        // events; wait for all the others.
        caughtUp(client, traffic, 30_000).catch(() => undefined),
      ),
    );
    const accounting = account(clients, traffic, CHANNELS);
    process.stdout.write(
      `[faults] sentinel ${label}: failover ${failoverMs} ms (master now :${promoted}), accepted ${accounting.accepted} (refused ${traffic.refused}), ` +
        `${clients.length} clients, delivered ${accounting.delivered}, missing with EPOCH_CHANGED ${accounting.lostWithReset}, ` +
        `silently missing ${accounting.silentlyMissing}, gaps ${accounting.gaps}, epoch changes ${accounting.epochChanges}, ` +
        `subscriptions repaired ${JSON.stringify(await Promise.all(nodes.map(async (node) => sample(await scrape(`${node.url}/metrics`), 'switchboard_bus_subscription_repairs_total'))))}\n`,
    );
    if (accounting.silentlyMissing > 0 || accounting.lostWithReset > 0) {
      process.stdout.write(
        `[faults] sentinel ${label}: where the loss sits\n${describeMissing(clients, traffic, CHANNELS, CLIENTS_PER_NODE).join('\n')}\n`,
      );
      process.stdout.write(
        `[faults] sentinel ${label}: pub/sub on the new master ${JSON.stringify(await topology.pubsubState(promoted))}\n`,
      );
    }
    expect(traffic.refused).toBe(0);
    expect(accounting.accepted).toBeGreaterThan(PER_CHANNEL_PER_SECOND * CHANNELS.length * 2);
    process.stdout.write(
      `[faults] sentinel ${label}: print jobs accepted ${printing.accepted.length} (${jobsOnNewMaster} in the 2 s after the promotion), refused during the failover ${printing.refused} ${JSON.stringify(Object.fromEntries(printing.reasons))}, lost ${lost.length}\n`,
    );
    // Jobs were taken before the failover, and the new master takes them within 2 s of its promotion.
    expect(jobsBefore).toBeGreaterThan(0);
    expect(jobsOnNewMaster).toBeGreaterThan(0);
    expect(lost).toEqual([]);
    return { ...accounting, promoted };
  }

  it('kill -9 of the master: the replica is promoted, publishes during the failover are queued and flushed, nothing is missing silently', async () => {
    const result = await run('kill -9', () => topology.killMaster());
    expect(result.silentlyMissing).toBe(0);
    expect(result.gaps).toBe(0);
    // Both nodes write to the promoted master now, and health names it.
    for (const node of nodes) {
      const health = (await (await fetch(`${node.url}/health/redis`)).json()) as { details: { redis: Record<string, unknown> } };
      expect(health.details.redis).toMatchObject({ status: 'up', mode: 'sentinel', master: `127.0.0.1:${result.promoted}` });
    }
  }, 120_000);

  it('a graceful SENTINEL FAILOVER: 0 missing, no epoch change, no print job lost', async () => {
    const result = await run('SENTINEL FAILOVER', () => topology.failover());
    expect(result).toMatchObject({ silentlyMissing: 0, lostWithReset: 0, gaps: 0, epochChanges: 0 });
    expect(result.delivered).toBe(result.accepted * clients.length);
  }, 120_000);

  it('kill -9 of a master whose replica missed its last second of writes: every channel moves to a new epoch, told to every client, nothing missing silently, nothing published after the failover lost, no print job lost', async () => {
    // Print jobs too: those the old master took in the lost second were refused (no replica
    // confirmed them: REDIS_REPLICA_ACK_MS), retried, and exist on the new master (run() checks).
    // With REDIS_REPLICA_ACK_MS=0, 25 of 84 accepted jobs were gone.
    const result = await run('kill -9, replica 1 s behind', () => topology.killMasterWithReplicaBehind(1000));
    // Every channel took writes in the lost second, so every client hears EPOCH_CHANGED once per
    // channel. Nothing published after the failover is lost: each node compares its channels with
    // the new master before its held publishes go out, and here both nodes follow every channel.
    expect(result).toMatchObject({ silentlyMissing: 0, gaps: 0, lostWithReset: 0 });
    expect(result.epochChanges).toBe(clients.length * CHANNELS.length);
  }, 120_000);
});
