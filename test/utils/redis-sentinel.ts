import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { DEBUG_ARGS, freePort, RedisServer, replicasFallBehind, withRedis } from './redis-server';

export const MASTER_NAME = 'switchboard';

/** One `redis-server --sentinel` child with its own (rewritable) config file. */
class SentinelProcess {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(masterPort: number): Promise<SentinelProcess> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'sb-sentinel-'));
    // Quorum 2 of 3; the master counts as down after 1 s without an answer, so a kill -9 is
    // followed by a failover within a few seconds.
    writeFileSync(
      join(dir, 'sentinel.conf'),
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${masterPort} 2`,
        `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
        `sentinel failover-timeout ${MASTER_NAME} 10000`,
        `sentinel parallel-syncs ${MASTER_NAME} 1`,
        '',
      ].join('\n'),
    );
    const sentinel = new SentinelProcess(port, dir);
    const child = spawn('redis-server', [join(dir, 'sentinel.conf'), '--sentinel'], { stdio: ['ignore', 'pipe', 'pipe'] });
    sentinel.child = child;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`sentinel did not start:\n${output}`)), 10_000);
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('+monitor master')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`sentinel exited with ${code}:\n${output}`));
      });
    });
    child.stdout?.resume();
    return sentinel;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A Sentinel topology on loopback, all private children: one master, one replica and three
 * sentinels (quorum 2). A test can kill -9 the master and wait for the sentinels to promote
 * the replica, or ask for a graceful SENTINEL FAILOVER.
 */
export class SentinelTopology {
  private constructor(
    readonly servers: RedisServer[],
    private readonly sentinels: SentinelProcess[],
  ) {}

  static async start(): Promise<SentinelTopology> {
    const master = await RedisServer.start({ args: DEBUG_ARGS });
    const replica = await RedisServer.start({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
    const sentinels: SentinelProcess[] = [];
    for (let i = 0; i < 3; i++) sentinels.push(await SentinelProcess.start(master.port));
    const topology = new SentinelTopology([master, replica], sentinels);
    // Ready when every sentinel knows the replica (in sync) and the two other sentinels: only
    // then can they agree on a failover. Checking one sentinel was not enough: a leader that had
    // not yet seen the replica aborted with no good replica, and the retry came 20 s later (CI
    // timed out waiting for the promotion once).
    const fields = (entry: string[]) => Object.fromEntries(entry.flatMap((value, i) => (i % 2 === 0 ? [[value, entry[i + 1]]] : [])));
    const ready = (sentinel: SentinelProcess) =>
      withRedis(sentinel.port, async (client) => {
        const replicas = (await client.call('SENTINEL', 'REPLICAS', MASTER_NAME)) as string[][];
        const others = (await client.call('SENTINEL', 'SENTINELS', MASTER_NAME)) as string[][];
        const synced = replicas.some((entry) => fields(entry)['master-link-status'] === 'ok' && fields(entry).flags === 'slave');
        return synced && others.length === 2;
      });
    await topology.until(async () => (await Promise.all(sentinels.map(ready))).every(Boolean), 60_000);
    return topology;
  }

  /** `REDIS_SENTINELS` for the app. */
  get sentinelList(): string {
    return this.sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`).join(',');
  }

  get env(): Record<string, string> {
    return { REDIS_SENTINELS: this.sentinelList, REDIS_SENTINEL_NAME: MASTER_NAME };
  }

  /** The port every sentinel currently names as the master (undefined while they disagree). */
  async masterPort(): Promise<number | undefined> {
    const ports = await Promise.all(
      this.sentinels.map((sentinel) =>
        this.withSentinel(sentinel, async (client) => {
          const address = (await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME)) as [string, string] | null;
          return address ? Number(address[1]) : undefined;
        }),
      ),
    );
    return ports.every((port) => port === ports[0]) ? ports[0] : undefined;
  }

  server(port: number): RedisServer {
    const server = this.servers.find((candidate) => candidate.port === port);
    if (!server) throw new Error(`no server on ${port}`);
    return server;
  }

  /** kill -9 the current master; resolves once all sentinels name another one. Returns the new master's port. */
  async killMaster(timeoutMs = 30_000): Promise<{ killed: number; promoted: number }> {
    const killed = (await this.masterPort()) as number;
    await this.server(killed).kill9();
    const promoted = await this.untilMasterMoves(killed, timeoutMs);
    return { killed, promoted };
  }

  /**
   * The lossy failover that asynchronous replication allows, made certain: the replica stops
   * receiving the master's writes, the master takes writes for `behindMs`, then it is killed
   * with kill -9 and the sentinels promote the replica without them.
   */
  async killMasterWithReplicaBehind(behindMs: number, timeoutMs = 30_000): Promise<{ killed: number; promoted: number }> {
    const killed = (await this.masterPort()) as number;
    await replicasFallBehind(killed, timeoutMs);
    await new Promise((resolve) => setTimeout(resolve, behindMs));
    await this.server(killed).kill9();
    const promoted = await this.untilMasterMoves(killed, timeoutMs);
    return { killed, promoted };
  }

  /** SENTINEL FAILOVER (the planned switch, e.g. for maintenance); resolves once all sentinels name the new master. */
  async failover(timeoutMs = 30_000): Promise<{ previous: number; promoted: number }> {
    const previous = (await this.masterPort()) as number;
    await this.withSentinel(this.sentinels[0], (client) => client.call('SENTINEL', 'FAILOVER', MASTER_NAME));
    const promoted = await this.untilMasterMoves(previous, timeoutMs);
    return { previous, promoted };
  }

  /** Who subscribes to what on `port`, for failure messages: channels of both kinds and the clients' subscription counts. */
  async pubsubState(port: number): Promise<Record<string, unknown>> {
    return withRedis(port, async (client) => ({
      channels: await client.call('PUBSUB', 'CHANNELS'),
      shardChannels: await client.call('PUBSUB', 'SHARDCHANNELS'),
      clients: ((await client.call('CLIENT', 'LIST')) as string)
        .split('\n')
        .filter((line) => /\b(sub|ssub|psub)=[1-9]/.test(line))
        .map((line) => line.replace(/^.*?(addr=\S+).*?(name=\S*).*?(sub=\d+ psub=\d+ ssub=\d+).*?(cmd=\S+).*$/, '$1 $2 $3 $4')),
    }));
  }

  async stop(): Promise<void> {
    for (const sentinel of this.sentinels) await sentinel.stop();
    for (const server of this.servers) await server.stop();
  }

  private async untilMasterMoves(from: number, timeoutMs: number): Promise<number> {
    let promoted: number | undefined;
    await this.until(async () => {
      const port = await this.masterPort();
      if (port !== undefined && port !== from) promoted = port;
      return promoted !== undefined;
    }, timeoutMs);
    // The promoted server answers as a master before it is handed out (ROLE, not the sentinels' view).
    const client = new Redis({ port: promoted, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await client.connect();
      await this.until(async () => ((await client.call('ROLE')) as [string])[0] === 'master', timeoutMs);
    } finally {
      client.disconnect();
    }
    return promoted as number;
  }

  /** Polls `check` (every 100 ms, bounded by `timeoutMs`) on the first sentinel. */
  private async until(check: (client: Redis) => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await this.withSentinel(this.sentinels[0], async (client) => {
      for (;;) {
        if (await check(client).catch(() => false)) return;
        if (Date.now() > deadline) throw new Error(`sentinel topology: condition not met within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    });
  }

  private async withSentinel<T>(sentinel: SentinelProcess, work: (client: Redis) => Promise<T>): Promise<T> {
    return withRedis(sentinel.port, work);
  }
}
