import { spawn, type ChildProcess } from 'node:child_process';
import type { Worker } from 'node:cluster';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { closeUndeliveredHandles, stopReading, type IpcChannelInternals, type ReadingHandle } from './node-internals';

/** A loopback server and `count` connections to it: the client ends, and the server's ends. */
async function connections(count: number): Promise<{ server: Server; clients: Socket[]; accepted: Socket[] }> {
  const server = createServer();
  const accepted: Socket[] = [];
  const all = new Promise<void>((resolve) =>
    server.on('connection', (socket: Socket) => {
      accepted.push(socket);
      if (accepted.length === count) resolve();
    }),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const clients = Array.from({ length: count }, () => connect(port, '127.0.0.1'));
  await all;
  return { server, clients, accepted };
}

function close(server: Server, sockets: Socket[], child?: ChildProcess): void {
  for (const socket of sockets) socket.destroy();
  server.close();
  child?.kill();
}

/**
 * The Node these tests run on must still have the internals node-internals.ts relies on. A
 * failure here means a Node upgrade changed them: read node-internals.ts before anything else.
 */
describe('the Node internals the primary relies on', () => {
  it('queues handles sent to a child in _handleQueue behind the one in flight in _pendingMessage', async () => {
    const { server, clients, accepted } = await connections(2);
    const child = spawn(process.execPath, ['-e', 'process.on("message", () => {})'], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    try {
      child.send('first', accepted[0]);
      child.send('second', accepted[1]);
      const channel = child as unknown as IpcChannelInternals;
      expect(channel._handleQueue).toHaveLength(1);
      expect(channel._handleQueue?.[0].handle).toBe(accepted[1]);
      expect(typeof channel._pendingMessage?.handle?.close).toBe('function');
    } finally {
      close(server, [...clients, ...accepted], child);
    }
  });

  it('stops a socket reading at its handle, and the bytes sent meanwhile wait in the kernel', async () => {
    const { server, clients, accepted } = await connections(1);
    try {
      const socket = accepted[0];
      const handle = (socket as unknown as { _handle: ReadingHandle & { readStart(): number } })._handle;
      expect(typeof handle.readStop).toBe('function');
      expect(handle.reading).toBe(true);
      stopReading(socket);
      expect(handle.reading).toBe(false);
      // Written while the socket does not read: nothing reached the stream, and nothing is lost: it
      // is all there once the handle reads again.
      const received: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      await new Promise<void>((resolve) => clients[0].write('held back', () => resolve()));
      expect([received, socket.readableLength]).toEqual([[], 0]);
      const arrived = once(socket, 'data');
      handle.readStart();
      socket.resume();
      await arrived;
      expect(Buffer.concat(received).toString()).toBe('held back');
    } finally {
      close(server, [...clients, ...accepted]);
    }
  });
});

describe('closeUndeliveredHandles', () => {
  it('destroys queued sockets and closes the raw handle in flight, never throwing', () => {
    const closed: string[] = [];
    const worker = {
      process: {
        // Queued entries hold the net.Socket; the one in flight holds its raw handle.
        _handleQueue: [
          { handle: { destroy: () => closed.push('queued-1') } },
          { handle: { destroy: () => closed.push('queued-2') } },
          { handle: null },
          {
            handle: {
              destroy: () => {
                throw new Error('already closed');
              },
            },
          },
        ],
        _pendingMessage: { handle: { close: () => closed.push('in-flight') } },
      },
    } as unknown as Worker;
    expect(closeUndeliveredHandles(worker)).toBe(3);
    expect(closed).toEqual(['queued-1', 'queued-2', 'in-flight']);
    const channel = worker.process as unknown as { _handleQueue: unknown; _pendingMessage: unknown };
    expect(channel._handleQueue).toBeNull();
    expect(channel._pendingMessage).toBeNull();
  });

  it('does nothing for a worker that had nothing queued', () => {
    expect(closeUndeliveredHandles({ process: {} } as unknown as Worker)).toBe(0);
  });
});
