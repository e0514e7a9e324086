import cluster from 'node:cluster';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { stopReading } from './node-internals';

const SID = /[?&]sid=([\w-]{20})/;

/**
 * Closes a race in @socket.io/sticky's primary. A worker reports a new Engine.IO session id over
 * IPC (`sticky:connection`) while it writes the handshake answer straight to the client over TCP.
 * The client's next long-polling request (a new connection: workers disable keep-alive) can reach
 * the primary before that IPC message; sticky then finds no worker for the id and balances the
 * request to any worker, which answers 400 "Session ID unknown", and the client reconnects with a
 * new session (the intermittent ops/pm2-sticky failure: a polling client counted twice).
 *
 * The gate sits in front of sticky's connection handler: a request naming a session id the primary
 * has not learnt yet waits (at most `maxWaitMs`) until it has, then goes to sticky as usual. Ids
 * of sessions that really are gone never arrive; those requests proceed after the wait and fail
 * as they did before.
 *
 * It also closes a gap in how sticky hands a socket over. Node's `send(message, socket)` sets the
 * primary's copy of the handle to drop what it reads, but leaves it reading until the worker's
 * acknowledgement comes back. Bytes the client sends in that window, or while the gate holds the
 * request, were read by the primary and thrown away. The first frame after a WebSocket upgrade
 * (a plain WebSocket's `auth`, Engine.IO's `2probe`) is sent in exactly that window: measured
 * through a 2-worker cluster, 2 in 400 to 1,000 connections never saw their `auth` arrive. So,
 * for a socket sticky hands over, the primary stops reading after the first chunk, and the
 * kernel keeps the rest for the worker.
 */
export function gateUnknownSessions(server: Server, maxWaitMs = 1000, log: (message: string) => void = () => undefined): void {
  const listeners = server.listeners('connection') as ((socket: Socket) => void)[];
  const sticky = listeners[listeners.length - 1];
  if (!sticky) throw new Error('gateUnknownSessions must run after setupMaster');
  server.removeListener('connection', sticky);

  const known = new Map<string, number>();
  const waiting = new Map<string, Set<() => void>>();
  // Registered after sticky's own listener, so sticky has bound the id when this runs.
  cluster.on('message', (worker, message: { type?: string; data?: unknown }) => {
    if (typeof message?.data !== 'string') return;
    if (message.type === 'sticky:connection') {
      known.set(message.data, worker.id);
      const released = waiting.get(message.data);
      waiting.delete(message.data);
      for (const release of released ?? []) release();
    } else if (message.type === 'sticky:disconnection') {
      known.delete(message.data);
    }
  });
  cluster.on('exit', (worker) => {
    for (const [sid, workerId] of known) if (workerId === worker.id) known.delete(sid);
  });

  server.on('connection', (socket: Socket) => {
    socket.once('data', (chunk: Buffer) => {
      const handedOver = !stickyKeepsSocket(chunk);
      if (handedOver) stopReading(socket);
      else {
        socket.pause();
        socket.unshift(chunk);
      }
      const firstLine = chunk.subarray(0, Math.max(0, chunk.indexOf('\r\n'))).toString('latin1');
      const sid = SID.exec(firstLine)?.[1];
      const hand = () => {
        if (socket.destroyed) return;
        sticky.call(server, socket);
        // Handed over: sticky's listener sends the socket while the primary reads nothing more.
        // Kept: the primary forwards each chunk of the body, so it goes on reading.
        if (handedOver) socket.emit('data', chunk);
        else socket.resume();
      };
      if (sid === undefined || known.has(sid)) return hand();
      // Wait for the id: released when its worker reports it, or after maxWaitMs.
      const heldAt = Date.now();
      const release = () => {
        clearTimeout(timer);
        waiting.get(sid)?.delete(release);
        log(
          `held a request for session ${sid} ${Date.now() - heldAt} ms until ${known.has(sid) ? 'its worker reported it' : 'the wait ran out (unknown session)'}`,
        );
        hand();
      };
      const timer = setTimeout(release, maxWaitMs);
      timer.unref();
      let set = waiting.get(sid);
      if (!set) waiting.set(sid, (set = new Set()));
      set.add(release);
      socket.once('close', () => {
        clearTimeout(timer);
        waiting.get(sid)?.delete(release);
      });
    });
  });
}

/**
 * @socket.io/sticky's own test: a request that may have a body stays with the primary, which
 * forwards its chunks over IPC; any other is handed over with its socket.
 */
function stickyKeepsSocket(chunk: Buffer): boolean {
  const header = chunk.subarray(0, chunk.indexOf('\r\n\r\n')).toString('latin1').toLowerCase();
  return header.includes('content-length:') || header.includes('transfer-encoding:');
}
