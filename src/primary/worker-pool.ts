import cluster, { type Worker } from 'node:cluster';
import { closeUndeliveredHandles, observeSends } from './node-internals';
import { DRAIN_REQUEST, DRAINING_MESSAGE, isTyped, READY_MESSAGE, STREAMS_MESSAGE } from '../lifecycle/cluster-messages';

/** @socket.io/sticky's least-connection balancer reads this field on each worker. */
type StickyWorker = Worker & { clientsCount?: number };

interface WorkerState {
  ready: boolean;
  draining: boolean;
  /** Engine.IO sessions bound to the worker, as @socket.io/sticky reports them. */
  sessions: number;
  /** SSE streams and plain WebSockets on the worker, as it reports them (STREAMS_MESSAGE). */
  streams: number;
  /** Requests whose socket the primary keeps and feeds to the worker over IPC (bodies, e.g. polling POSTs). */
  readonly forwarded: Set<string>;
}

export interface PoolLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface WorkerPoolOptions {
  readonly size: number;
  readonly drainDeadlineSeconds: number;
  /** How long a new worker may take to become ready before a rolling restart gives up. */
  readonly readyTimeoutMs?: number;
  readonly log: PoolLog;
}

/**
 * The sticky cluster's workers, seen from the primary: forks them, keeps new sessions away from
 * workers that are not ready or are draining, re-forks crashed ones, and restarts them one at a
 * time (a new worker is ready before the old one starts draining, so capacity never drops).
 *
 * Routing works through sticky's least-connection balancer: it picks the worker with the lowest
 * `clientsCount`, so a worker that must not get new sessions shows Infinity. Sticky keeps its own
 * count in the same field; this listener runs after sticky's and writes the real value back.
 */
export class WorkerPool {
  private readonly states = new Map<number, WorkerState>();
  private readonly retiring = new Set<number>();
  private readonly readyWaiters = new Map<number, () => void>();
  private stopping = false;
  private restarting: Promise<void> | undefined;
  private recentCrashes: number[] = [];

  constructor(private readonly options: WorkerPoolOptions) {
    cluster.on('message', (worker, message) => this.onMessage(worker, message));
    cluster.on('exit', (worker, code, signal) => this.onExit(worker, code, signal));
  }

  get workerIds(): number[] {
    return [...this.states.keys()];
  }

  /** Forks the workers and resolves once every one is ready (listening through the primary). */
  async start(): Promise<void> {
    await Promise.all(Array.from({ length: this.options.size }, () => this.whenReady(this.fork())));
  }

  /** One worker at a time: fork a replacement, wait until it is ready, then drain the old one. */
  rollingRestart(): Promise<void> {
    if (this.stopping) return Promise.resolve();
    this.restarting ??= this.restartAll().finally(() => (this.restarting = undefined));
    return this.restarting;
  }

  /** Drains every worker in parallel and resolves when all have exited. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.restarting?.catch(() => undefined);
    await Promise.all(this.liveWorkers().map((worker) => this.retire(worker)));
  }

  /** Last resort (second signal): no drain. */
  killAll(): void {
    for (const worker of this.liveWorkers()) worker.process.kill('SIGKILL');
  }

  private async restartAll(): Promise<void> {
    const old = this.liveWorkers();
    this.options.log.info(`rolling restart of ${old.length} workers`);
    for (const worker of old) {
      if (this.stopping) return;
      const fresh = this.fork();
      try {
        await this.whenReady(fresh, this.options.readyTimeoutMs ?? 60_000);
      } catch (error) {
        this.options.log.error(`rolling restart stopped: ${(error as Error).message}; old worker ${worker.id} keeps running`);
        this.retiring.add(fresh.id);
        fresh.process.kill('SIGKILL');
        return;
      }
      await this.retire(worker);
    }
    this.options.log.info('rolling restart done');
  }

  private fork(): StickyWorker {
    const worker: StickyWorker = cluster.fork();
    const state: WorkerState = { ready: false, draining: false, sessions: 0, streams: 0, forwarded: new Set() };
    this.states.set(worker.id, state);
    // A worker killed outright (kill -9, OOM) stays in cluster.workers until its exit is handled,
    // and a message sent to it meanwhile without a callback (sticky's `sticky:abort`, when a client
    // gives up on a relayed request) fails with an 'error' event on the worker. Unhandled, that
    // event crashed the primary, and with it every worker's clients. The exit handler replaces it.
    worker.on('error', (error: Error) => this.options.log.warn(`worker ${worker.id}: ${error.message}`));
    // Track the requests sticky relays over IPC, so they can be failed when the worker dies.
    observeSends(worker, (message) => {
      const connectionId = (message as { connectionId?: string } | null)?.connectionId;
      if (connectionId === undefined) return;
      if (isTyped(message, 'sticky:http-chunk-start')) state.forwarded.add(connectionId);
      else if (isTyped(message, 'sticky:abort')) state.forwarded.delete(connectionId);
    });
    this.route(worker);
    return worker;
  }

  private liveWorkers(): StickyWorker[] {
    return Object.values(cluster.workers ?? {}).filter((worker): worker is StickyWorker => worker !== undefined && !worker.isDead());
  }

  private whenReady(worker: Worker, timeoutMs?: number): Promise<void> {
    if (this.states.get(worker.id)?.ready) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer =
        timeoutMs === undefined ? undefined : setTimeout(() => fail(`worker ${worker.id} not ready after ${timeoutMs} ms`), timeoutMs);
      const onExit = () => fail(`worker ${worker.id} exited before it was ready`);
      const fail = (message: string) => {
        clearTimeout(timer);
        this.readyWaiters.delete(worker.id);
        reject(new Error(message));
      };
      worker.once('exit', onExit);
      this.readyWaiters.set(worker.id, () => {
        clearTimeout(timer);
        worker.off('exit', onExit);
        resolve();
      });
    });
  }

  private retire(worker: Worker): Promise<void> {
    this.retiring.add(worker.id);
    const exited = new Promise<void>((resolve) => {
      if (worker.isDead()) resolve();
      else worker.once('exit', () => resolve());
    });
    // The worker enforces its own deadline; this only catches a wedged one.
    const force = setTimeout(
      () => {
        this.options.log.warn(`worker ${worker.id} overran its drain deadline: killing it`);
        worker.process.kill('SIGKILL');
      },
      (this.options.drainDeadlineSeconds + 10) * 1000,
    );
    if (worker.isConnected()) worker.send({ type: DRAIN_REQUEST });
    return exited.finally(() => clearTimeout(force));
  }

  private route(worker: StickyWorker): void {
    const state = this.states.get(worker.id);
    if (!state) return;
    worker.clientsCount = state.ready && !state.draining ? state.sessions + state.streams : Number.POSITIVE_INFINITY;
  }

  private onMessage(worker: StickyWorker, message: unknown): void {
    const state = this.states.get(worker.id);
    if (!state) return;
    if (message === READY_MESSAGE) {
      state.ready = true;
      this.readyWaiters.get(worker.id)?.();
      this.readyWaiters.delete(worker.id);
    } else if (isTyped(message, DRAINING_MESSAGE)) {
      state.draining = true;
    } else if (isTyped(message, 'sticky:connection')) {
      state.sessions += 1;
    } else if (isTyped(message, STREAMS_MESSAGE)) {
      const count = (message as { count?: unknown }).count;
      state.streams = typeof count === 'number' && count >= 0 ? count : 0;
    } else if (isTyped(message, 'sticky:disconnection')) {
      state.sessions = Math.max(0, state.sessions - 1);
    } else if (isTyped(message, 'sticky:http-response-end') || isTyped(message, 'sticky:http-response-destroy')) {
      state.forwarded.delete((message as { connectionId: string }).connectionId);
      return;
    } else {
      return;
    }
    this.route(worker);
  }

  private onExit(worker: Worker, code: number | null, signal: string | null): void {
    const state = this.states.get(worker.id);
    this.states.delete(worker.id);
    // Sticky keeps the client socket of a relayed request (a long-polling POST) in the primary;
    // if the worker died mid-request nothing would ever answer it, and the client would only
    // notice at its ping timeout (45 s). Fail those requests now, through sticky's own handler.
    for (const connectionId of state?.forwarded ?? []) {
      cluster.emit('message', worker, { type: 'sticky:http-response-destroy', connectionId });
    }
    const released = closeUndeliveredHandles(worker);
    if (released > 0) this.options.log.warn(`closed ${released} connections handed to worker ${worker.id} that it never received`);
    if (this.retiring.delete(worker.id) || this.stopping) return;
    // A crash: replace the worker, backing off if workers keep dying (a bad deploy, say).
    const now = Date.now();
    this.recentCrashes = [...this.recentCrashes.filter((at) => now - at < 60_000), now];
    const delay = Math.min(30_000, 500 * 2 ** (this.recentCrashes.length - 1));
    this.options.log.error(`worker ${worker.id} died (${signal ?? `code ${code}`}): replacing it in ${delay} ms`);
    setTimeout(() => {
      if (!this.stopping) this.fork();
    }, delay).unref();
  }
}
