import type { Worker } from 'node:cluster';
import type { Socket } from 'node:net';

/**
 * Every use the primary makes of Node's private internals, in one place. Each is a gap in Node's
 * public API that cost clients their connections (see each function). node-internals.spec.ts
 * checks, on the Node that runs the tests, that these internals still exist and still behave as
 * relied on here, so a Node upgrade that changes them fails `npm test` loudly instead of quietly
 * bringing the bugs back.
 */

/** The private IPC state of a forked worker's ChildProcess (lib/internal/child_process.js). */
export interface IpcChannelInternals {
  /** Handles waiting for the worker to acknowledge the one in flight: their net.Sockets. */
  _handleQueue?: { handle?: Closable }[] | null;
  /** The message whose handle is in flight: its raw handle. */
  _pendingMessage?: { handle?: Closable } | null;
}
type Closable = { close?: () => void; destroy?: () => void } | null | undefined;

/**
 * Connections sticky handed to a worker travel as handles over IPC, one at a time: the others
 * wait in the channel's queue until the worker acknowledges the current one. When the worker
 * dies, Node closes the one in flight but not the queued ones, and the primary would hold those
 * client sockets open forever (measured here: a long-polling client hung until its 45 s ping
 * timeout). This closes them, so their clients reconnect at once. Returns how many it closed.
 */
export function closeUndeliveredHandles(worker: Worker): number {
  const channel = worker.process as unknown as IpcChannelInternals;
  // Queued entries hold the net.Socket itself; the one in flight holds its raw handle.
  const queued = [...(channel._handleQueue ?? []), ...(channel._pendingMessage ? [channel._pendingMessage] : [])];
  let closed = 0;
  for (const { handle } of queued) {
    try {
      if (typeof handle?.destroy === 'function') handle.destroy();
      else if (typeof handle?.close === 'function') handle.close();
      else continue;
      closed += 1;
    } catch {
      // Already closed: nothing left to release.
    }
  }
  channel._handleQueue = null;
  channel._pendingMessage = null;
  return closed;
}

/** The libuv stream behind a net.Socket (`socket._handle`): its read state. */
export interface ReadingHandle {
  reading: boolean;
  readStop(): number;
}

/**
 * Stops reading at the socket's handle, and keeps the stream from starting it again: a paused
 * stream still reads until its buffer is full. Node offers no public call for this (nodejs/node
 * #8353); `pauseOnConnect` does the same before the first read, but sticky must read the first
 * chunk to pick a worker. Used on sockets handed to a worker (session-gate.ts), whose next bytes
 * must wait in the kernel for the worker rather than be read, and dropped, by the primary.
 */
export function stopReading(socket: Socket): void {
  socket.pause();
  const handle = (socket as unknown as { _handle?: ReadingHandle | null })._handle;
  if (!handle) return;
  socket._read = () => undefined;
  if (handle.reading) {
    handle.reading = false;
    handle.readStop();
  }
}

/**
 * Calls `observe` with every message the primary sends to `worker`, before it goes: the only way
 * to see what @socket.io/sticky relays to a worker (it calls `worker.send` itself). Wraps the
 * public `send` method of this one Worker object.
 */
export function observeSends(worker: Worker, observe: (message: unknown) => void): void {
  const send = worker.send.bind(worker) as (...args: unknown[]) => boolean;
  (worker as { send: (...args: unknown[]) => boolean }).send = (message: unknown, ...rest: unknown[]) => {
    observe(message);
    return send(message, ...rest);
  };
}
