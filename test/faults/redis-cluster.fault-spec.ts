import { closeAllClients, type TestClient } from '../utils/clients';
import { account, subscribedNodes, type Accounting } from '../utils/failover-accounting';
import { ClusterTopology } from '../utils/redis-cluster';
import type { TestApp } from '../utils/test-app';
import { caughtUp, Traffic } from '../utils/traffic';

// Eight channels: their keys hash over the three masters' slot ranges.
const CHANNELS = ['branch:f1', 'branch:f2', 'branch:f3', 'branch:f4', 'branch:f5', 'branch:f6', 'branch:f7', 'company:acme'];
const PER_CHANNEL_PER_SECOND = 12; // ~100 events/s in total
const CLIENTS_PER_NODE = 11; // 22 subscribers
const BRANCHES = ['f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The bus key of a channel of company acme on /orders (src/channels/channel-ref.ts). */
const busKey = (channel: string) => `acme/orders/${channel}`;

describe('Redis Cluster: three masters, three replicas; two nodes, 22 subscribers on 8 channels, ~100 events/s', () => {
  let topology: ClusterTopology;
  let nodes: TestApp[];
  let clients: TestClient[];

  beforeEach(async () => {
    topology = await ClusterTopology.start();
    const env = { ...topology.env, CLUSTER_NODE_TTL_SECONDS: '3' };
    ({ nodes, clients } = await subscribedNodes(env, CHANNELS, BRANCHES, CLIENTS_PER_NODE));
  }, 90_000);
  afterEach(async () => {
    closeAllClients();
    for (const node of nodes ?? []) await node.close();
    await topology?.stop();
  });

  async function run(label: string, fault: () => Promise<string>): Promise<Accounting> {
    const traffic = new Traffic(
      nodes.map((node) => node.url),
      CHANNELS,
      PER_CHANNEL_PER_SECOND,
    );
    traffic.start();
    await sleep(1000);
    const started = Date.now();
    const what = await fault();
    const faultMs = Date.now() - started;
    await sleep(2000);
    await traffic.stop();
    await Promise.all(clients.map((client) => caughtUp(client, traffic, 30_000).catch(() => undefined)));
    const accounting = account(clients, traffic, CHANNELS);
    process.stdout.write(
      `[faults] cluster ${label}: ${what} in ${faultMs} ms, accepted ${accounting.accepted} (refused ${traffic.refused}), ` +
        `${clients.length} clients, delivered ${accounting.delivered}, missing with EPOCH_CHANGED ${accounting.lostWithReset}, ` +
        `silently missing ${accounting.silentlyMissing}, gaps ${accounting.gaps}, epoch changes ${accounting.epochChanges}\n`,
    );
    expect(traffic.refused).toBe(0);
    expect(accounting.accepted).toBeGreaterThan(PER_CHANNEL_PER_SECOND * CHANNELS.length * 2);
    return accounting;
  }

  it('kill -9 of the master that owns a followed channel: its replica takes over, nothing is missing silently', async () => {
    const slot = await topology.slotOf(busKey('branch:f1'));
    const result = await run('kill -9 of a master', async () => {
      const { killed, promoted } = await topology.killMasterOf(slot);
      return `master :${killed} killed, :${promoted} promoted`;
    });
    expect(result.silentlyMissing).toBe(0);
    expect(result.gaps).toBe(0);
    for (const node of nodes) {
      const health = (await (await fetch(`${node.url}/health/redis`)).json()) as { details: { redis: Record<string, unknown> } };
      expect(health.details.redis).toMatchObject({ status: 'up', mode: 'cluster', shards: { reachable: 3 } });
    }
  }, 120_000);

  it('a followed channel’s slot moved to another master under traffic: 0 missing, no epoch change', async () => {
    const slot = await topology.slotOf(busKey('branch:f2'));
    const result = await run('slot move', async () => {
      const { from, to } = await topology.moveSlot(slot);
      return `slot ${slot} moved from :${from} to :${to}`;
    });
    expect(result).toMatchObject({ silentlyMissing: 0, lostWithReset: 0, gaps: 0, epochChanges: 0 });
    expect(result.delivered).toBe(result.accepted * clients.length);
  }, 120_000);

  it('kill -9 of a master whose replica missed its last second of writes: that shard’s channels move to a new epoch, told to every client, nothing missing silently', async () => {
    const slot = await topology.slotOf(busKey('branch:f1'));
    const owner = await topology.ownerOf(slot);
    const onShard: string[] = [];
    for (const channel of CHANNELS) if ((await topology.ownerOf(await topology.slotOf(busKey(channel)))) === owner) onShard.push(channel);
    const result = await run('kill -9, replica 1 s behind', async () => {
      const { killed, promoted } = await topology.killMasterOf(slot, { replicaBehindMs: 1000 });
      return `master :${killed} killed (${onShard.length} of the channels), :${promoted} promoted`;
    });
    expect(result).toMatchObject({ silentlyMissing: 0, gaps: 0 });
    // Every channel took writes in the lost second: those of the killed master's shard are
    // announced once to every client, the others keep their epoch.
    expect(result.epochChanges).toBe(clients.length * onShard.length);
  }, 120_000);
});
