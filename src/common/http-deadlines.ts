import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { ErrorCode } from './app.errors';
import { hasBody } from './json-body';

export interface HttpDeadlines {
  /** A new connection must complete its first request's headers within this long. */
  readonly headersTimeoutMs: number;
  /** A request must have sent its whole body within this long of its headers. */
  readonly requestTimeoutMs: number;
}

/**
 * At most `limit` concurrent TCP connections per peer address; more are reset on accept. Node's
 * own HTTP connection listener (registered when the server was created) sets up a parser and
 * listeners for every connection; one over the bound must not cost that, so this listener goes
 * first and hands only admitted connections on to the ones registered before it. Only real TCP
 * sockets count. In the sticky cluster this runs in the workers, on the connections the primary
 * hands them; requests with a body it relays as in-memory streams instead, which the workers'
 * request deadline bounds. (The primary cannot count: a handed-over socket never emits 'close'
 * there.) Behind a proxy every connection comes from the proxy: bound there instead (limit 0).
 */
export function limitConnectionsPerIp(server: Server, limit: number): void {
  if (limit <= 0) return;
  const perIp = new Map<string, number>();
  const earlier = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    if (socket instanceof Socket) {
      const ip = socket.remoteAddress ?? '';
      const open = perIp.get(ip) ?? 0;
      if (open >= limit) {
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
    for (const listener of earlier) listener.call(server, socket);
  });
}

/**
 * Connections still waiting for their first request's headers, in arrival order. Every one gets
 * the same timeout, so arrival order is deadline order: one timer, armed for the oldest, serves
 * them all. It replaces a Timeout (with its closure) and a WeakMap entry per connection, ~3 µs of
 * every WebSocket handshake and an ephemeron per connection for the GC (issue 14, handshakes/s).
 */
export class HeaderDeadlines {
  private readonly waiting = new Map<Socket, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly timeoutMs: number) {}

  add(socket: Socket): void {
    this.waiting.set(socket, Date.now() + this.timeoutMs);
    this.timer ??= this.arm(this.timeoutMs);
  }

  delete(socket: Socket): void {
    this.waiting.delete(socket);
  }

  private arm(ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => this.expire(), ms);
    timer.unref();
    return timer;
  }

  /** Destroys the connections past their deadline; re-arms for the oldest left. */
  private expire(): void {
    this.timer = undefined;
    const now = Date.now();
    for (const [socket, deadline] of this.waiting) {
      if (deadline > now) {
        this.timer = this.arm(deadline - now);
        return;
      }
      this.waiting.delete(socket);
      socket.destroy();
    }
  }
}

/**
 * What a slow HTTP client may hold, enforced with exact timers: Node's own headersTimeout and
 * requestTimeout are only checked every 30 s (connectionsCheckingInterval, fixed when the server
 * is created), too coarse to rely on.
 * - Slowloris: a connection whose first request's headers are not complete in time is destroyed.
 * - Slow bodies: a request whose body is not complete `requestTimeoutMs` after its headers gets
 *   408 IDLE_TIMEOUT (when nothing was answered yet) and its connection is closed. Only requests
 *   with a body arm a timer, so GETs and the publish fast path of a quick client cost nothing.
 */
export function enforceHttpDeadlines(server: Server, limits: HttpDeadlines): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = Math.max(limits.headersTimeoutMs, limits.requestTimeoutMs);
  const waiting = new HeaderDeadlines(limits.headersTimeoutMs);
  const headersDone = (request: IncomingMessage) => waiting.delete(request.socket);
  // One shared listener, not a closure per connection: a WebSocket that stays open for hours is
  // forgotten once its headers are in (issue 14, heap per socket).
  function onSocketClose(this: Socket): void {
    waiting.delete(this);
  }
  let requestsHooked = false;
  server.on('connection', (socket: Socket) => {
    // Hooked at the first connection, not now: Engine.IO's attach (at app.init(), later) removes
    // the 'request' listeners it finds and calls them only for paths that are not its own, so a
    // listener added here would never see a polling request, and the header timer would destroy
    // every long-poll still open 10 s after its connection opened (polling clients reconnected
    // every ~10 s). By the first connection, Engine.IO is attached; prepending puts this first.
    if (!requestsHooked) {
      requestsHooked = true;
      server.prependListener('request', onRequest);
    }
    waiting.add(socket);
    socket.on('close', onSocketClose);
  });
  server.on('upgrade', headersDone);
  function onRequest(request: IncomingMessage, response: ServerResponse): void {
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
  }
}
