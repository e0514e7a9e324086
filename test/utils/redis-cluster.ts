import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { DEBUG_ARGS, RedisServer, replicasFallBehind, withRedis } from './redis-server';

/** Runs redis-cli to completion; rejects with its output on a non-zero exit. */
function redisCli(args: readonly string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`redis-cli ${args.join(' ')} exited with ${code}:\n${output}`));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A Redis Cluster on loopback, all private children: three masters and three replicas
 * (`--cluster-enabled yes`, joined with `redis-cli --cluster create … --cluster-replicas 1`),
 * so a test can kill -9 a master, wait for its replica to take over, or move slots under traffic.
 */
export class ClusterTopology {
  private constructor(readonly servers: RedisServer[]) {}

  static async start(): Promise<ClusterTopology> {
    const servers: RedisServer[] = [];
    for (let i = 0; i < 6; i++) {
      // A replica notices its master is gone after cluster-node-timeout; 2 s keeps failovers short.
      servers.push(
        await RedisServer.start({
          args: ['--cluster-enabled', 'yes', '--cluster-node-timeout', '2000', '--cluster-config-file', `nodes-${i}.conf`, ...DEBUG_ARGS],
        }),
      );
    }
    const topology = new ClusterTopology(servers);
    await redisCli([
      '--cluster',
      'create',
      ...servers.map((server) => `127.0.0.1:${server.port}`),
      '--cluster-replicas',
      '1',
      '--cluster-yes',
    ]);
    await topology.untilHealthy();
    await topology.untilReplicasSynced();
    return topology;
  }

  /** `REDIS_CLUSTER_NODES` for the app: every node as a seed. */
  get env(): Record<string, string> {
    return { REDIS_CLUSTER_NODES: this.servers.map((server) => `127.0.0.1:${server.port}`).join(',') };
  }

  /** Masters that own slots, as reported by a live node: port → slot count. */
  async masters(): Promise<Map<number, number>> {
    const nodes = await this.withAny((client) => client.call('CLUSTER', 'NODES') as Promise<string>);
    const masters = new Map<number, number>();
    for (const line of nodes.trim().split('\n')) {
      const fields = line.split(' ');
      if (!fields[2].includes('master') || fields[2].includes('fail')) continue;
      const port = Number(fields[1].split('@')[0].split(':')[1]);
      let slots = 0;
      for (const range of fields.slice(8)) {
        if (range.startsWith('[')) continue; // a slot being migrated
        const [from, to] = range.split('-').map(Number);
        slots += (to ?? from) - from + 1;
      }
      if (slots > 0) masters.set(port, slots);
    }
    return masters;
  }

  /**
   * kill -9 the master of `slot`; resolves once its replica has taken over and the cluster is
   * healthy. With `replicaBehindMs`, the replica first stops receiving writes for that long.
   */
  async killMasterOf(
    slot: number,
    { replicaBehindMs, timeoutMs = 30_000 }: { replicaBehindMs?: number; timeoutMs?: number } = {},
  ): Promise<{ killed: number; promoted: number }> {
    const killed = await this.ownerOf(slot);
    if (replicaBehindMs !== undefined) {
      // The lossy failover asynchronous replication allows: the replica misses the last writes.
      await replicasFallBehind(killed, timeoutMs);
      await sleep(replicaBehindMs);
    }
    const server = this.servers.find((candidate) => candidate.port === killed) as RedisServer;
    await server.kill9();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const owner = await this.ownerOf(slot).catch(() => killed);
      if (owner !== killed && (await this.healthy())) return { killed, promoted: owner };
      if (Date.now() > deadline) throw new Error(`no failover of slot ${slot} within ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  /** The slot of a key (its hash tag's), as the cluster computes it. */
  slotOf(key: string): Promise<number> {
    return this.withAny((client) => client.call('CLUSTER', 'KEYSLOT', key) as Promise<number>);
  }

  /**
   * Moves one slot, keys included, to another master, the way `redis-cli --cluster reshard` does
   * (IMPORTING / MIGRATING, MIGRATE in batches, SETSLOT NODE everywhere), while clients keep
   * using it: they meet ASK and TRYAGAIN during the move and MOVED after it.
   */
  async moveSlot(slot: number): Promise<{ from: number; to: number }> {
    const from = await this.ownerOf(slot);
    const masters = [...(await this.masters()).keys()];
    const to = masters.find((port) => port !== from) as number;
    const id = (port: number) => this.withPort(port, (client) => client.call('CLUSTER', 'MYID') as Promise<string>);
    const [fromId, toId] = [await id(from), await id(to)];
    await this.withPort(to, (client) => client.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', fromId));
    await this.withPort(from, (client) => client.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', toId));
    await this.withPort(from, async (client) => {
      for (let batch = 0; batch < 10_000; batch++) {
        const keys = (await client.call('CLUSTER', 'GETKEYSINSLOT', slot, 50)) as string[];
        if (keys.length === 0) return;
        await client.call('MIGRATE', '127.0.0.1', to, '', 0, 5000, 'REPLACE', 'KEYS', ...keys);
      }
    });
    for (const port of [to, from, ...masters.filter((other) => other !== to && other !== from)]) {
      await this.withPort(port, (client) => client.call('CLUSTER', 'SETSLOT', slot, 'NODE', toId));
    }
    await this.untilHealthy();
    return { from, to };
  }

  async ownerOf(slot: number): Promise<number> {
    const slots = await this.withAny((client) => client.call('CLUSTER', 'SLOTS') as Promise<[number, number, [string, number]][]>);
    const range = slots.find(([from, to]) => slot >= from && slot <= to);
    if (!range) throw new Error(`slot ${slot} has no owner`);
    return Number(range[2][1]);
  }

  async stop(): Promise<void> {
    for (const server of this.servers) await server.stop();
  }

  private async healthy(): Promise<boolean> {
    const alive = this.servers.filter((server) => server.pid !== undefined);
    const states = await Promise.all(
      alive.map((server) => this.withPort(server.port, (client) => client.call('CLUSTER', 'INFO') as Promise<string>).catch(() => '')),
    );
    return states.every((info) => info.includes('cluster_state:ok'));
  }

  /** A replica that never finished its first sync cannot take over (its data is too old to be trusted). */
  private async untilReplicasSynced(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const infos = await Promise.all(
        this.servers.map((server) => this.withPort(server.port, (client) => client.info('replication')).catch(() => '')),
      );
      const replicas = infos.filter((info) => info.includes('role:slave'));
      if (replicas.length === 3 && replicas.every((info) => info.includes('master_link_status:up'))) return;
      if (Date.now() > deadline) throw new Error(`replicas not in sync within ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  private async untilHealthy(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await this.healthy())) {
      if (Date.now() > deadline) throw new Error(`cluster not healthy within ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  private async withAny<T>(work: (client: Redis) => Promise<T>): Promise<T> {
    let last: unknown;
    for (const server of this.servers.filter((candidate) => candidate.pid !== undefined)) {
      try {
        return await this.withPort(server.port, work);
      } catch (error) {
        last = error;
      }
    }
    throw last instanceof Error ? last : new Error('no cluster node answers');
  }

  private async withPort<T>(port: number, work: (client: Redis) => Promise<T>): Promise<T> {
    return withRedis(port, work);
  }
}
