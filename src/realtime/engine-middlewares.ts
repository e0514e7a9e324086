import type { IncomingMessage } from 'node:http';
import type { Server } from 'socket.io';

type ApplyMiddlewares = (req: IncomingMessage, res: unknown, callback: (error?: unknown) => void) => void;

/**
 * Engine.IO runs its HTTP middlewares (here only `cors`) on WebSocket upgrades too, through a
 * promise chain per upgrade: ~30 µs of a ~430 µs handshake. CORS headers mean nothing on an upgrade
 * (browsers do not apply CORS to WebSockets; `allowRequest` checks the Origin of every request,
 * upgrades included), so upgrades skip them; polling requests and preflights keep them.
 */
export function skipMiddlewaresOnUpgrade(server: Server): void {
  const engine = server.engine as unknown as { _applyMiddlewares?: ApplyMiddlewares };
  const apply = engine._applyMiddlewares;
  // Engine.IO is pinned; if a new version renames this, boot fails here rather than silently slowing down.
  if (typeof apply !== 'function') throw new Error('engine.io no longer has _applyMiddlewares: revisit skipMiddlewaresOnUpgrade');
  engine._applyMiddlewares = (req, res, callback) =>
    req.headers.upgrade === undefined ? apply.call(engine, req, res, callback) : callback();
}
