import type { Server } from 'node:http';
import type { Socket } from 'node:net';

const timers = new WeakMap<Socket, NodeJS.Timeout>();

/**
 * Slowloris guard: a new connection must complete its first request's headers within `ms`, or
 * it is destroyed. Node's own headersTimeout is only checked every 30 s (connectionsCheckingInterval,
 * fixed when the server is created), too coarse to rely on; this timer is exact.
 */
export function enforceHeaderDeadline(server: Server, ms: number): void {
  server.headersTimeout = ms;
  server.requestTimeout = Math.max(ms, 30_000);
  server.on('connection', (socket: Socket) => {
    const timer = setTimeout(() => socket.destroy(), ms);
    timer.unref();
    timers.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  });
  const headersDone = (req: { socket: Socket }) => clearTimeout(timers.get(req.socket));
  server.on('request', headersDone);
  server.on('upgrade', headersDone);
}
