import type { Socket } from 'socket.io';
import { RealtimeEvent, type EndReason, type SessionEndedPayload } from './realtime.events';

export type { EndReason, SessionEndedPayload } from './realtime.events';

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
