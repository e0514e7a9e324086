import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { MessageMappingProperties } from '@nestjs/websockets';
import type { Observable } from 'rxjs';
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import type { Server, ServerOptions, Socket } from 'socket.io';
import { ErrorCode } from '../common/app.errors';
import { isOriginAllowed } from '../common/origin-policy';
import type { AppConfig } from '../config';
import type { RedisConnections } from '../redis/redis-connections.service';
import type { ConnectionMonitor } from './connection-monitor.service';
import type { EngineAdmission } from './engine-admission.service';
import type { ProcessCapacity } from './process-capacity.service';
import { PING_INTERVAL_MS, PING_TIMEOUT_MS } from './heartbeat';
import { skipMiddlewaresOnUpgrade } from './engine-middlewares';

/** What a socket's shared message listeners dispatch to: Nest's handlers bound to that socket. */
interface BoundHandlers {
  readonly handlers: MessageMappingProperties[];
  readonly transform: (data: unknown) => Observable<unknown>;
}

/**
 * Creates the one Socket.IO server every namespace gateway attaches to, with options from
 * config rather than from whichever gateway happens to be created first, and installs the
 * Redis adapter for cluster operations (events themselves are delivered through the bus).
 */
export class SwitchboardIoAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly config: AppConfig,
    private readonly redis: RedisConnections,
    private readonly monitor: ConnectionMonitor,
    private readonly admission: EngineAdmission,
    private readonly capacity: ProcessCapacity,
    /** While draining, new Engine.IO sessions are refused (existing ones carry on until drained). */
    private readonly isDraining: () => boolean = () => false,
  ) {
    super(app);
  }

  /** The server every gateway attached to, once created. */
  server: Server | undefined;
  /** Per socket, Nest's handlers bound to it; the listeners are shared (see bindMessageHandlers). */
  private readonly bound = new WeakMap<Socket, BoundHandlers>();
  /** One listener per message name, for every socket. */
  private readonly listeners = new Map<string, (this: Socket, ...args: unknown[]) => void>();

  /**
   * The same dispatch as IoAdapter's, without its per-socket rxjs pipeline: IoAdapter subscribes a
   * `fromEvent → mergeMap → takeUntil(disconnect)` chain per handler per socket, which a heap
   * snapshot showed as ~16 subscribers, ~110 closures and ~100 contexts per connection (most of a
   * socket's ~34 KB of heap). A plain listener per handler does the job: the data and ack are
   * mapped as IoAdapter does, a response with `event` is emitted, any other non-null response is
   * the ack, and a failing handler is logged (its exception filter has already answered).
   *
   * The listeners themselves are shared by every socket (one per message name, reading the socket
   * from `this`), and a socket keeps only Nest's handler list: a closure per handler per socket
   * was another ~0.3 KB of heap per connection (issue 14).
   */
  override bindMessageHandlers(
    socket: Socket,
    handlers: MessageMappingProperties[],
    transform: (data: unknown) => Observable<unknown>,
  ): void {
    this.bound.set(socket, { handlers, transform });
    for (const { message } of handlers) socket.on(String(message), this.listenerFor(String(message)));
  }

  private listenerFor(message: string): (this: Socket, ...args: unknown[]) => void {
    let listener = this.listeners.get(message);
    if (!listener) {
      const dispatch = (socket: Socket, args: unknown[]) => this.dispatch(socket, message, args);
      listener = function (this: Socket, ...args: unknown[]) {
        dispatch(this, args);
      };
      this.listeners.set(message, listener);
    }
    return listener;
  }

  private dispatch(socket: Socket, message: string, args: unknown[]): void {
    const bound = this.bound.get(socket);
    const handler = bound?.handlers.find((candidate) => String(candidate.message) === message);
    if (!bound || !handler) return;
    // fromEvent's shape: one argument as is, several as an array.
    const { data, ack } = this.mapPayload(args.length === 1 ? args[0] : args) as { data: unknown; ack?: unknown };
    let response$: Observable<unknown>;
    try {
      response$ = bound.transform(handler.callback(data, ack));
    } catch (error) {
      this.logger.error(error);
      return;
    }
    response$.subscribe({
      next: (response) => {
        if (response === null || response === undefined) return;
        const emitted = response as { event?: string; data?: unknown };
        if (emitted.event) socket.emit(emitted.event, emitted.data);
        else if (!handler.isAckHandledManually && typeof ack === 'function') (ack as (value: unknown) => void)(response);
      },
      error: (error: unknown) => this.logger.error(error),
    });
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const { cors } = this.config;
    const server = super.createIOServer(port, {
      ...options,
      serveClient: false,
      transports: [...this.config.process.transports],
      pingInterval: PING_INTERVAL_MS,
      pingTimeout: PING_TIMEOUT_MS,
      connectTimeout: this.config.limits.connectTimeoutMs,
      // The largest any namespace accepts; the monitor holds the others to their own limit.
      maxHttpBufferSize: this.monitor.engineFrameLimit,
      cors: {
        origin: (origin, callback) => callback(null, origin === undefined || isOriginAllowed(cors, origin)),
        credentials: true,
      },
      // CORS headers alone do not stop a WebSocket upgrade from a foreign page; this does.
      // Non-browser clients (the desktop app) send no Origin and still need a valid token.
      // Per-IP session bounds are checked here too: before a session exists, refusal is cheap.
      allowRequest: (req, callback) => {
        if (this.isDraining()) {
          callback('server draining', false);
          return;
        }
        const origin = req.headers.origin;
        if (origin !== undefined && !isOriginAllowed(cors, origin)) {
          callback('origin not allowed', false);
          return;
        }
        const refusal = this.capacity.overHardCap ? ErrorCode.TOO_MANY_CONNECTIONS : this.admission.admit(req);
        callback(refusal ?? null, refusal === undefined);
      },
    } as ServerOptions);
    skipMiddlewaresOnUpgrade(server);
    if (this.redis.enabled) {
      const pub = commandsNeverReject(this.redis.get('adapter-pub'), PUBLISHES, (error) =>
        this.logger.warn(`adapter publish failed: ${error.message}`),
      );
      const sub = commandsNeverReject(this.redis.get('adapter-sub'), SUBSCRIPTIONS, (error) =>
        this.logger.warn(`adapter subscription command failed: ${error.message}`),
      );
      // Cluster: the sharded adapter (SPUBLISH / SSUBSCRIBE, routed by slot). Static mode: one
      // channel per namespace; its dynamic mode would subscribe to every room, and our rooms are
      // channels whose events never travel through the adapter.
      server.adapter(
        this.redis.mode === 'cluster' ? createShardedAdapter(pub, sub, { subscriptionMode: 'static' }) : createAdapter(pub, sub),
      );
    }
    this.monitor.install(server);
    this.admission.install(server);
    this.server = server;
    return server;
  }
}

/**
 * The Redis adapter drops the promise of some of its publishes (`serverSideEmit` without an ack
 * calls `pubClient.publish(…)` and returns nothing), so a Redis outage would surface as an
 * unhandled rejection once a second (the admin numbers). Its publishes are at-most-once by
 * design: a failed one is logged (rate-limited by the caller's cadence) and answers 0 receivers.
 */
const PUBLISHES: ReadonlySet<string> = new Set(['publish', 'spublish']);
/**
 * It drops those of its (un)subscribe calls too, at start and in `close()`. A node closed soon
 * after a Redis outage, while the subscriber connection was still waiting to reconnect, had its
 * queued unsubscribes rejected with "Connection is closed." and nobody to hear it (a flaky fault
 * test, 2026-12-03). ioredis subscribes again by itself on reconnect; a failure is logged.
 */
const SUBSCRIPTIONS: ReadonlySet<string> = new Set([
  'subscribe',
  'psubscribe',
  'ssubscribe',
  'unsubscribe',
  'punsubscribe',
  'sunsubscribe',
]);

function commandsNeverReject<T extends object>(client: T, commands: ReadonlySet<string>, onError: (error: Error) => void): T {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || !commands.has(property) || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result = (value as (...inner: unknown[]) => unknown).apply(target, args);
        // Called with a callback, ioredis returns the promise all the same; anything else is passed on.
        if (!(result instanceof Promise)) return result;
        return result.catch((error: Error) => {
          onError(error);
          return 0;
        });
      };
    },
  });
}
