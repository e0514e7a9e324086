import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DrainSteps } from '../lifecycle/drain-steps';
import { SocketDirectory } from './socket-directory';
import { RealtimeEvent, type ServerDrainingPayload } from './realtime.events';

const BATCHES = 10;
const BATCH_INTERVAL_MS = 500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The drain's `disconnect` step: every Socket.IO client gets `server:draining` with a jittered
 * `reconnectAfterMs`, then is disconnected in batches (10 % every 500 ms, faster when the
 * deadline needs it), so that they do not all reconnect to the other nodes at once.
 */
@Injectable()
export class SocketDrain implements OnModuleInit {
  constructor(
    private readonly directory: SocketDirectory,
    private readonly steps: DrainSteps,
  ) {}

  onModuleInit(): void {
    this.steps.register({ phase: 'disconnect', name: 'sockets', run: (deadline) => this.disconnectAll(deadline) });
  }

  private async disconnectAll(deadline: number): Promise<number> {
    const sockets = this.directory.namespaceNames().flatMap((name) => [...(this.directory.namespace(name)?.sockets.values() ?? [])]);
    // Half the budget for disconnecting; the rest for print jobs, the queue and closing.
    const interval = Math.min(BATCH_INTERVAL_MS, Math.floor((deadline - Date.now()) / 2 / BATCHES));
    const spread = Math.max(1000, interval * BATCHES);
    for (const socket of sockets) {
      const payload: ServerDrainingPayload = { reconnectAfterMs: Math.floor(Math.random() * spread) };
      socket.emit(RealtimeEvent.SERVER_DRAINING, payload);
    }
    const batchSize = Math.max(1, Math.ceil(sockets.length / BATCHES));
    for (let index = 0; index < sockets.length; index += batchSize) {
      // Closing the transport (not a namespace disconnect) lets standard clients reconnect on their own.
      for (const socket of sockets.slice(index, index + batchSize)) socket.conn.close();
      if (index + batchSize < sockets.length) await sleep(interval);
    }
    return sockets.length;
  }
}
