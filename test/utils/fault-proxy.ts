import { connect, createServer, type Server, type Socket } from 'node:net';

interface Pending {
  readonly chunk: Buffer;
  readonly due: number;
}

/**
 * A TCP proxy of our own between the app and Redis: adds latency (order preserved) and can
 * reset every connection at once, like a flaky network or a load balancer restart.
 */
export class FaultProxy {
  latencyMs = 0;
  private readonly pairs = new Set<[Socket, Socket]>();
  /** Connections whose bytes are swallowed while both ends stay open: a half-open link. */
  private readonly stalled = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    /** Where new connections go (existing ones keep their upstream), like a load balancer's backend. */
    public targetPort: number,
  ) {}

  static start(targetPort: number): Promise<FaultProxy> {
    return new Promise((resolve) => {
      const holder: { proxy?: FaultProxy } = {};
      const server = createServer((client) => holder.proxy?.accept(client, holder.proxy.targetPort));
      server.listen(0, '127.0.0.1', () => {
        holder.proxy = new FaultProxy(server, (server.address() as { port: number }).port, targetPort);
        resolve(holder.proxy);
      });
    });
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * From now on, the connections open at this moment carry nothing, in either direction, and
   * neither end is told: what a laptop's TCP connection looks like after sleep. New ones work.
   */
  stallExisting(): number {
    for (const [client, upstream] of this.pairs) {
      this.stalled.add(client);
      this.stalled.add(upstream);
    }
    return this.pairs.size;
  }

  /** Destroys every proxied connection (both sides), as a network reset would. */
  resetAll(): number {
    const count = this.pairs.size;
    for (const [client, upstream] of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
    return count;
  }

  close(): Promise<void> {
    this.resetAll();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, targetPort: number): void {
    const upstream = connect(targetPort, '127.0.0.1');
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const end = () => {
      this.pairs.delete(pair);
      this.stalled.delete(client);
      this.stalled.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    this.pipe(client, upstream);
    this.pipe(upstream, client);
  }

  /** Forwards with the current latency; one queue per direction keeps bytes in order. */
  private pipe(from: Socket, to: Socket): void {
    const queue: Pending[] = [];
    let timer: NodeJS.Timeout | undefined;
    const drain = () => {
      timer = undefined;
      const now = Date.now();
      while (queue.length > 0 && queue[0].due <= now) {
        const next = queue.shift() as Pending;
        if (!to.destroyed) to.write(next.chunk);
      }
      if (queue.length > 0) timer = setTimeout(drain, queue[0].due - now);
    };
    from.on('data', (chunk: Buffer) => {
      if (this.stalled.has(from)) return;
      if (this.latencyMs === 0 && queue.length === 0) {
        if (!to.destroyed) to.write(chunk);
        return;
      }
      queue.push({ chunk, due: Date.now() + this.latencyMs });
      timer ??= setTimeout(drain, this.latencyMs);
    });
  }
}
