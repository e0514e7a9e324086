import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Server } from 'socket.io';
import { ErrorCode } from '../common/app.errors';
import { MetricsService } from '../metrics/metrics.service';
import { APP_CONFIG, type AppConfig } from '../config';
import { MAX_TOKEN_LENGTH } from '../auth/token-verifier.service';
import { endSession } from './session-end';
import { frameLimitOf, NamespaceRegistry } from './namespace.registry';

/** The parts of an Engine.IO socket we read; engine.io does not export these types. */
interface EngineSocket {
  readonly id: string;
  readonly writeBuffer: { data?: unknown }[];
  readonly transport: { name: string; writable: boolean; socket?: { bufferedAmount?: number; terminate?: () => void } };
  on(event: 'packet', listener: (this: EngineSocket, packet: { type: string; data?: unknown }) => void): void;
  write(data: string): void;
  close(discard?: boolean): void;
}

const CHECK_INTERVAL_MS = 1000;

/**
 * Transport-level protection, per Engine.IO connection:
 * - frames over the connection's limit close that connection: 64 KB (WS_MAX_FRAME_BYTES), or
 *   a namespace's own limit once the connection has joined it (its definition's maxFrameBytes:
 *   1 MB, PRINT_WS_MAX_FRAME_BYTES, on /printing-ws). The limit comes
 *   from what the connection has joined, never from the namespace a packet names, which the
 *   sender chooses; a CONNECT over the limit is answered with connect_error AUTH_INVALID first;
 * - more than SLOW_CONSUMER_BYTES buffered outbound: disconnected (SLOW_CONSUMER), so memory stays bounded.
 * Quiet connections are left alone: Engine.IO's heartbeat closes a dead peer (see heartbeat.ts).
 */
@Injectable()
export class ConnectionMonitor implements OnApplicationShutdown {
  private readonly logger = new Logger('ConnectionMonitor');
  private timer: NodeJS.Timeout | undefined;
  private server: Server | undefined;
  readonly counts = { slowConsumers: 0, oversizedFrames: 0 };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly namespaces: NamespaceRegistry,
    metrics: MetricsService,
  ) {
    metrics.provide({ slowConsumerDisconnects: () => this.counts.slowConsumers });
  }

  /** Engine.IO sessions open on this process (authenticated or not). */
  get sessionCount(): number {
    return this.server?.engine.clientsCount ?? 0;
  }

  /** The largest frame any namespace accepts; Engine.IO enforces it, this monitor the per-namespace ones. */
  get engineFrameLimit(): number {
    return Math.max(this.config.limits.maxFrameBytes, ...this.largeFrames().map(({ limit }) => limit));
  }

  /** Namespaces that accept frames over the default limit, with theirs (read once they are all registered). */
  private largeFrames(): readonly { readonly path: string; readonly limit: number }[] {
    this.largeFrameNamespaces ??= this.namespaces
      .all()
      .map((definition) => ({ path: `/${definition.name}`, limit: frameLimitOf(definition, this.config.limits) }))
      .filter(({ limit }) => limit > this.config.limits.maxFrameBytes);
    return this.largeFrameNamespaces;
  }

  private largeFrameNamespaces: readonly { readonly path: string; readonly limit: number }[] | undefined;

  install(server: Server): void {
    this.server = server;
    server.engine.on('connection', (engineSocket: EngineSocket) => this.watch(engineSocket));
    this.timer = setInterval(() => this.check(), CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /**
   * Whether a frame of `size` bytes is within this connection's limit. Only frames over the
   * default limit look further (rare: print documents), at the namespaces with a larger limit.
   */
  private withinLimit(engineSocket: EngineSocket, size: number): boolean {
    if (size <= this.config.limits.maxFrameBytes) return true;
    for (const { path, limit } of this.largeFrames()) {
      if (size > limit) continue;
      for (const socket of this.server?._nsps.get(path)?.sockets.values() ?? []) {
        if ((socket.conn as unknown as EngineSocket) === engineSocket) return true;
      }
    }
    return false;
  }

  private watch(engineSocket: EngineSocket): void {
    engineSocket.on('packet', this.onPacket);
  }

  /** One listener for every connection, not a closure per connection (heap per connection, issue 14). */
  private readonly onPacket = ((monitor: ConnectionMonitor) =>
    function (this: EngineSocket, packet: { type: string; data?: unknown }): void {
      monitor.inbound(this, packet);
    })(this);

  private inbound(engineSocket: EngineSocket, packet: { type: string; data?: unknown }): void {
    if (packet.type !== 'message') return;
    const { data } = packet;
    const size =
      typeof data === 'string'
        ? data.length * 3 > this.config.limits.maxFrameBytes
          ? Buffer.byteLength(data)
          : data.length
        : ((data as { byteLength?: number } | undefined)?.byteLength ?? 0);
    if (this.withinLimit(engineSocket, size)) return;
    this.counts.oversizedFrames += 1;
    // An oversized CONNECT is nearly always a huge token: say so, instead of a silent close the
    // client can only read as a timeout.
    if (typeof data === 'string' && data[0] === '0') {
      const namespace = namespaceOf(data);
      const body = {
        code: ErrorCode.AUTH_INVALID,
        message: `the handshake is larger than ${this.config.limits.maxFrameBytes} bytes; tokens are limited to ${MAX_TOKEN_LENGTH} characters`,
      };
      // Socket.IO's CONNECT_ERROR is packet type 4; Engine.IO prefixes its own message type.
      engineSocket.write(`4${namespace === '/' ? '' : `${namespace},`}${JSON.stringify({ message: body.code, data: body })}`);
    }
    engineSocket.close();
  }

  /**
   * Once a second, every Engine.IO connection. This runs in one go on the event loop, so it is
   * kept to a plain walk over Engine.IO's connection table with two reads per connection; only a
   * connection found slow (rare) costs a walk over the namespaces' sockets, to tell each of its
   * sessions why. The first version walked every namespace socket and kept a verdict map:
   * ~1.1 µs per socket, a 6 ms stall each second with 5,000 clients (issue 14).
   */
  private check(): void {
    if (!this.server) return;
    const clients = (this.server.engine as unknown as { clients: Record<string, EngineSocket> }).clients;
    let slow: Set<EngineSocket> | undefined;
    for (const id in clients) {
      const conn = clients[id];
      if (this.isSlow(conn)) (slow ??= new Set()).add(conn);
    }
    if (slow) this.end(slow);
  }

  private end(slow: Set<EngineSocket>): void {
    for (const nsp of this.server?._nsps.values() ?? []) {
      for (const socket of nsp.sockets.values()) {
        if (slow.has(socket.conn as unknown as EngineSocket)) {
          endSession(socket, ErrorCode.SLOW_CONSUMER, 'too much data buffered for this connection');
        }
      }
    }
    for (const conn of slow) {
      this.counts.slowConsumers += 1;
      // A graceful close would wait for the stuck buffer to drain, which never happens: drop it.
      terminate(conn);
    }
    this.logger.warn(`disconnected slow consumers (total ${this.counts.slowConsumers})`);
  }

  private isSlow(conn: EngineSocket): boolean {
    // Engine.IO marks a transport unwritable from a send until the socket has taken the last frame;
    // a writable one holds nothing in its write buffer. But frames written straight to the
    // WebSocket (room-writer's direct path) leave it writable while they wait in ws's own buffer,
    // so that one is read either way: a stuck reader fed only by that path was caught only once a
    // ping made Engine.IO send (up to pingInterval later).
    const waiting = conn.transport.writable ? socketBuffered(conn) : buffered(conn);
    return waiting > this.config.limits.slowConsumerBytes;
  }
}

/** Closes at once, discarding whatever is buffered (a WebSocket is destroyed without a close handshake). */
function terminate(conn: EngineSocket): void {
  conn.transport.socket?.terminate?.();
  conn.close(true);
}

/** Bytes the WebSocket holds that the kernel has not taken (0 for long-polling). */
function socketBuffered(conn: EngineSocket): number {
  return conn.transport.name === 'websocket' ? (conn.transport.socket?.bufferedAmount ?? 0) : 0;
}

/** Bytes waiting to go out: Engine.IO's write buffer plus the WebSocket's own. */
function buffered(conn: EngineSocket): number {
  let total = socketBuffered(conn);
  for (const packet of conn.writeBuffer) {
    const data = packet.data;
    total += typeof data === 'string' ? data.length : ((data as { byteLength?: number } | undefined)?.byteLength ?? 0);
  }
  return total;
}

/** The namespace of an encoded Socket.IO packet: `<type>[<attachments>-][/nsp,]…`, default "/". */
export function namespaceOf(encoded: string): string {
  let index = 1;
  if (encoded[0] === '5' || encoded[0] === '6') {
    const dash = encoded.indexOf('-', 1);
    if (dash === -1 || dash > 12) return '/';
    index = dash + 1;
  }
  if (encoded[index] !== '/') return '/';
  const comma = encoded.indexOf(',', index);
  return comma === -1 ? encoded.slice(index) : encoded.slice(index, Math.min(comma, index + 128));
}
