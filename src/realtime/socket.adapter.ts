import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Server, ServerOptions } from 'socket.io';
import { isOriginAllowed } from '../common/origin-policy';
import type { AppConfig } from '../config';
import type { RedisConnections } from '../redis/redis-connections.service';
import type { ConnectionMonitor } from './connection-monitor.service';
import type { EngineAdmission } from './engine-admission.service';

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
    /** While draining, new Engine.IO sessions are refused (existing ones carry on until drained). */
    private readonly isDraining: () => boolean = () => false,
  ) {
    super(app);
  }

  /** The server every gateway attached to, once created. */
  server: Server | undefined;

  override createIOServer(port: number, options?: ServerOptions): Server {
    const { cors } = this.config;
    const server = super.createIOServer(port, {
      ...options,
      serveClient: false,
      transports: [...this.config.process.transports],
      pingInterval: 25_000,
      pingTimeout: 20_000,
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
        const refusal = this.admission.admit(req);
        callback(refusal ?? null, refusal === undefined);
      },
    } as ServerOptions);
    if (this.redis.enabled) {
      server.adapter(createAdapter(this.redis.get('adapter-pub'), this.redis.get('adapter-sub')));
    }
    this.monitor.install(server);
    this.admission.install(server);
    this.server = server;
    return server;
  }
}
