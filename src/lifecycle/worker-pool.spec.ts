import type { Worker } from 'node:cluster';
import { closeUndeliveredHandles } from './worker-pool';

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
