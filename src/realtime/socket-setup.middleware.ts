import type { Socket } from 'socket.io';
import { AppError, ErrorCode } from '../common/app.errors';
import { exceedsBudget } from './payload-size';
import type { ErrorAck, SocketData } from './realtime.events';

/**
 * Runs after authentication: initialises per-socket state and installs the per-message size
 * limit. An oversized message is answered with PAYLOAD_TOO_LARGE in its ack and dropped; the
 * connection stays up (frames over the Engine.IO limit are closed by Socket.IO itself).
 */
export function socketSetup(maxMessageBytes: number) {
  return (socket: Socket, next: (error?: Error) => void): void => {
    (socket.data as Partial<SocketData>).subscriptions = new Set();
    socket.use((packet, nextPacket) => {
      const last: unknown = packet[packet.length - 1];
      const ack = typeof last === 'function' ? (last as (response: ErrorAck) => void) : undefined;
      const args = ack ? packet.slice(1, -1) : packet.slice(1);
      if (!exceedsBudget(args, maxMessageBytes)) {
        nextPacket();
        return;
      }
      const error = new AppError(ErrorCode.PAYLOAD_TOO_LARGE, `messages are limited to ${maxMessageBytes} bytes`, {
        limit: maxMessageBytes,
      });
      ack?.({ ok: false, error: error.toBody() });
    });
    next();
  };
}
