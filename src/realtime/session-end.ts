import type { Socket } from 'socket.io';
import type { ErrorCode } from '../common/app.errors';
import { RealtimeEvent } from './realtime.events';

/** Why the server ends a session; sent as `session:ended` right before it disconnects. */
export type EndReason = Extract<ErrorCode, 'AUTH_EXPIRED' | 'REVOKED' | 'RATE_LIMITED' | 'SLOW_CONSUMER' | 'IDLE_TIMEOUT'>;

export interface SessionEndedPayload {
  readonly reason: EndReason;
  readonly message: string;
}

/**
 * Tells the client why, then disconnects. `wholeConnection` closes the Engine.IO connection (a
 * transport-level problem: slow or idle); otherwise only this namespace's socket ends, and other
 * namespaces multiplexed on the same connection are untouched.
 */
export function endSession(socket: Socket, reason: EndReason, message: string, wholeConnection = false): void {
  if (socket.disconnected) return;
  const payload: SessionEndedPayload = { reason, message };
  socket.emit(RealtimeEvent.SESSION_ENDED, payload);
  socket.disconnect(wholeConnection);
}
