import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Server } from 'socket.io';
import { ErrorCode } from '../common/app.errors';
import { MetricsService } from '../metrics/metrics.service';
import { APP_CONFIG, type AppConfig } from '../config';
import { endSession } from './session-end';

/** The parts of an Engine.IO socket we read; engine.io does not export these types. */
interface EngineSocket {
  readonly id: string;
  readonly readyState: string;
  readonly writeBuffer: { data?: unknown }[];
  readonly transport: { name: string; socket?: { bufferedAmount?: number; terminate?: () => void } };
  on(event: 'packet', listener: (packet: { type: string; data?: unknown }) => void): void;
  close(discard?: boolean): void;
}

const CHECK_INTERVAL_MS = 1000;

/**
 * Transport-level protection, per Engine.IO connection:
 * - frames over the namespace's limit (1 MB on /printing-ws, 64 KB elsewhere) close that connection;
 * - more than SLOW_CONSUMER_BYTES buffered outbound: disconnected (SLOW_CONSUMER), so memory stays bounded;
 * - no inbound traffic at all, pings included, for IDLE_TIMEOUT_SECONDS: disconnected (IDLE_TIMEOUT).
 */
@Injectable()
export class ConnectionMonitor implements OnApplicationShutdown {
  private readonly logger = new Logger('ConnectionMonitor');
  private readonly lastInbound = new WeakMap<EngineSocket, number>();
  private timer: NodeJS.Timeout | undefined;
  private server: Server | undefined;
  readonly counts = { slowConsumers: 0, idle: 0, oversizedFrames: 0 };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    metrics.provide({ slowConsumerDisconnects: () => this.counts.slowConsumers });
  }

  /** The largest frame any namespace accepts; Engine.IO enforces it, this monitor the per-namespace ones. */
  get engineFrameLimit(): number {
    return Math.max(this.config.limits.maxFrameBytes, this.config.limits.printMaxFrameBytes);
  }

  install(server: Server): void {
    this.server = server;
    server.engine.on('connection', (engineSocket: EngineSocket) => this.watch(engineSocket));
    this.timer = setInterval(() => this.check(), CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private frameLimit(namespace: string): number {
    return namespace === '/printing-ws' ? this.config.limits.printMaxFrameBytes : this.config.limits.maxFrameBytes;
  }

  private watch(engineSocket: EngineSocket): void {
    this.lastInbound.set(engineSocket, Date.now());
    // Binary attachments follow the packet that announced them, in that packet's namespace.
    let namespace = '/';
    engineSocket.on('packet', (packet) => {
      this.lastInbound.set(engineSocket, Date.now());
      if (packet.type !== 'message') return;
      let size: number;
      if (typeof packet.data === 'string') {
        namespace = namespaceOf(packet.data);
        size = packet.data.length * 3 > this.frameLimit(namespace) ? Buffer.byteLength(packet.data) : packet.data.length;
      } else {
        size = (packet.data as { byteLength?: number } | undefined)?.byteLength ?? 0;
      }
      if (size > this.frameLimit(namespace)) {
        this.counts.oversizedFrames += 1;
        engineSocket.close();
      }
    });
  }

  private check(): void {
    if (!this.server) return;
    const now = Date.now();
    const idleMs = this.config.limits.idleTimeoutSeconds * 1000;
    const verdicts = new Map<EngineSocket, 'slow' | 'idle' | undefined>();
    for (const nsp of this.server._nsps.values()) {
      for (const socket of nsp.sockets.values()) {
        const conn = socket.conn as unknown as EngineSocket;
        if (!verdicts.has(conn)) verdicts.set(conn, this.verdict(conn, now, idleMs));
        const verdict = verdicts.get(conn);
        if (verdict === 'slow') endSession(socket, ErrorCode.SLOW_CONSUMER, 'too much data buffered for this connection');
        if (verdict === 'idle') endSession(socket, ErrorCode.IDLE_TIMEOUT, 'no traffic on this connection');
      }
    }
    for (const [conn, verdict] of verdicts) {
      if (verdict === 'slow') {
        this.counts.slowConsumers += 1;
        // A graceful close would wait for the stuck buffer to drain, which never happens: drop it.
        terminate(conn);
      }
      if (verdict === 'idle') {
        this.counts.idle += 1;
        conn.close();
        // An idle peer may still read (the reason above reaches it); if it does not, drop it too.
        setTimeout(() => conn.readyState !== 'closed' && terminate(conn), 2000).unref();
      }
    }
    if ([...verdicts.values()].some((verdict) => verdict === 'slow'))
      this.logger.warn(`disconnected slow consumers (total ${this.counts.slowConsumers})`);
  }

  private verdict(conn: EngineSocket, now: number, idleMs: number): 'slow' | 'idle' | undefined {
    if (buffered(conn) > this.config.limits.slowConsumerBytes) return 'slow';
    if (now - (this.lastInbound.get(conn) ?? now) > idleMs) return 'idle';
    return undefined;
  }
}

/** Closes at once, discarding whatever is buffered (a WebSocket is destroyed without a close handshake). */
function terminate(conn: EngineSocket): void {
  conn.transport.socket?.terminate?.();
  conn.close(true);
}

/** Bytes waiting to go out: Engine.IO's write buffer plus the WebSocket's own. */
function buffered(conn: EngineSocket): number {
  let total = conn.transport.name === 'websocket' ? (conn.transport.socket?.bufferedAmount ?? 0) : 0;
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
