import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ErrorCode } from './app.errors';
import { hasBody } from './json-body';

export interface HttpDeadlines {
  /** A new connection must complete its first request's headers within this long. */
  readonly headersTimeoutMs: number;
  /** A request must have sent its whole body within this long of its headers. */
  readonly requestTimeoutMs: number;
  /** Concurrent TCP connections per peer address (0: unlimited). */
  readonly connectionsPerIp: number;
}

const headerTimers = new WeakMap<Socket, NodeJS.Timeout>();

/**
 * What a slow or greedy HTTP client may hold, enforced with exact timers: Node's own
 * headersTimeout and requestTimeout are only checked every 30 s (connectionsCheckingInterval,
 * fixed when the server is created), too coarse to rely on.
 * - Slowloris: a connection whose first request's headers are not complete in time is destroyed.
 * - Slow bodies: a request whose body is not complete `requestTimeoutMs` after its headers gets
 *   408 IDLE_TIMEOUT (when nothing was answered yet) and its connection is closed. Only requests
 *   with a body arm a timer, so GETs and the publish fast path of a quick client cost nothing.
 * - Per peer address, at most `connectionsPerIp` TCP connections; more are destroyed on accept,
 *   before a byte is parsed. Behind a proxy every connection comes from the proxy: bound there.
 */
export function enforceHttpDeadlines(server: Server, limits: HttpDeadlines): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = Math.max(limits.headersTimeoutMs, limits.requestTimeoutMs);
  const perIp = new Map<string, number>();
  // Node's own HTTP connection listener (registered when the server was created) sets up a parser
  // and listeners for every connection. A connection over the per-IP bound must not cost that:
  // our listener goes first and hands only admitted connections on to Node's.
  const nodeListeners = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    const ip = socket.remoteAddress ?? '';
    if (limits.connectionsPerIp > 0) {
      const open = perIp.get(ip) ?? 0;
      if (open >= limits.connectionsPerIp) {
        // A reset, not a close: nothing to flush, and no TIME_WAIT left on this side.
        socket.resetAndDestroy();
        return;
      }
      perIp.set(ip, open + 1);
      socket.once('close', () => {
        const left = (perIp.get(ip) ?? 1) - 1;
        if (left > 0) perIp.set(ip, left);
        else perIp.delete(ip);
      });
    }
    for (const listener of nodeListeners) listener.call(server, socket);
    const timer = setTimeout(() => socket.destroy(), limits.headersTimeoutMs);
    timer.unref();
    headerTimers.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  });
  const headersDone = (request: IncomingMessage) => clearTimeout(headerTimers.get(request.socket));
  server.on('upgrade', headersDone);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    headersDone(request);
    if (!hasBody(request)) return;
    const timer = setTimeout(() => {
      if (request.complete) return;
      if (!response.headersSent) {
        const body = JSON.stringify({
          error: { code: ErrorCode.IDLE_TIMEOUT, message: `the request body did not arrive within ${limits.requestTimeoutMs} ms` },
        });
        response.writeHead(408, {
          'content-type': 'application/json; charset=utf-8',
          connection: 'close',
          'content-length': Buffer.byteLength(body),
        });
        response.end(body, () => request.socket.destroy());
      } else {
        request.socket.destroy();
      }
    }, limits.requestTimeoutMs);
    timer.unref();
    const done = () => clearTimeout(timer);
    request.once('end', done);
    request.once('close', done);
  });
}
