/**
 * The IPC vocabulary between the sticky-cluster primary (dist/primary.js) and its workers.
 * `ready` is a bare string because PM2's wait_ready listens for exactly that.
 */
export const READY_MESSAGE = 'ready';
/** Worker → primary: this worker started draining; route no new sessions to it. */
export const DRAINING_MESSAGE = 'switchboard:draining';
/**
 * Worker → primary: `{ type, count }`, its open SSE streams and plain WebSockets, which sticky's
 * balancer does not see (it counts Engine.IO sessions), so that they are balanced too.
 */
export const STREAMS_MESSAGE = 'switchboard:streams';
/** Primary → worker: drain and exit (rolling restart or shutdown). */
export const DRAIN_REQUEST = 'switchboard:drain';

export function isTyped(message: unknown, type: string): boolean {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;
}
