import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A free loopback port (bind to 0, read it, release it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A short-lived client to a loopback Redis (server or sentinel) for one piece of work; it fails fast when nothing answers. */
export async function withRedis<T>(port: number, work: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await work(client);
  } finally {
    client.disconnect();
  }
}

/** Arguments a master needs for replicasFallBehind() (DEBUG, from loopback connections only). */
export const DEBUG_ARGS = ['--enable-debug-command', 'local'] as const;

/**
 * Makes the replicas of the master on `port` stop receiving its writes, for as long as the test
 * wants (about a minute at most): the lag that asynchronous replication allows, made certain.
 *
 * A new replication id on the master turns the replicas' next PSYNC into a full resync, and a
 * long diskless-sync delay keeps the master from sending it. A replica keeps its old data set
 * meanwhile (replaced only once a whole RDB has arrived), and stays eligible for promotion.
 * The master must run with DEBUG_ARGS.
 */
export async function replicasFallBehind(port: number, timeoutMs = 30_000): Promise<void> {
  await withRedis(port, async (client) => {
    await client.call('CONFIG', 'SET', 'repl-diskless-sync', 'yes', 'repl-diskless-sync-delay', '60');
    await client.call('DEBUG', 'CHANGE-REPL-ID');
    await client.call('CLIENT', 'KILL', 'TYPE', 'replica');
    const deadline = Date.now() + timeoutMs;
    // The replica asked for a full resync, which waits for the delay: from here it gets no writes.
    while (!/slave0:.*state=wait_bgsave/.test(await client.info('replication'))) {
      if (Date.now() > deadline) throw new Error(`redis :${port}: its replica did not ask for a full resync`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
}

export interface RedisOptions {
  /** Keep data across restarts (AOF, fsync always) in a private directory. */
  readonly persistent?: boolean;
  /** A port chosen in advance (e.g. to boot an app against a Redis that is not there yet). */
  readonly port?: number;
  /** More redis-server arguments, e.g. ['--maxmemory', '1']. */
  readonly args?: readonly string[];
}

/**
 * A private redis-server child on a free loopback port, so a test can kill -9 it, restart it,
 * or flush it without touching anything else. Never daemonized: it dies with its owner.
 */
export class RedisServer {
  private child: ChildProcess | undefined;
  private readonly dir: string;

  private constructor(
    readonly port: number,
    private readonly options: RedisOptions,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'sb-redis-'));
  }

  static async start(options: RedisOptions = {}): Promise<RedisServer> {
    const server = new RedisServer(options.port ?? (await freePort()), options);
    await server.launch();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts (or restarts) the server on the same port and directory. */
  async launch(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--dir', this.dir, '--protected-mode', 'yes'];
    args.push(...(this.options.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
    args.push(...(this.options.args ?? []));
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 10_000);
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${output}`));
      });
    });
    child.stdout?.resume();
  }

  /** SIGKILL, and wait until the process is gone. */
  async kill9(): Promise<void> {
    await this.signal('SIGKILL');
  }

  async stop(): Promise<void> {
    await this.signal('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }
}
