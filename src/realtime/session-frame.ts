import type { Socket } from 'socket.io';
import { directSender, wsFrame, type EngineConn } from './direct-frames';
import { RealtimeEvent, type SessionPayload } from './realtime.events';

/** Socket.IO protocol v5: the packet type of an event (socket.io-parser's `PacketType.EVENT`). */
const EVENT = 2;

type Middleware = (socket: Socket, next: (error?: Error) => void) => void;

/**
 * The last handshake middleware: corks the TCP socket of a WebSocket connection until the tick
 * after Socket.IO connects it, so that CONNECT and `session` leave in one `writev`.
 *
 * Why (issue 14, handshakes/s): Engine.IO writes CONNECT at once and keeps `session` in its write
 * buffer until that write's callback, so each handshake paid a second write and a drain cycle,
 * ~5 % of a handshake's CPU in the profile. Socket.IO calls `_doConnect` (which writes CONNECT and
 * runs `handleConnection`, which writes `session`) in a tick it queues when the last middleware
 * calls `next()`; the tick queued here after `next()` runs after it. A refused or closed socket is
 * uncorked the same way.
 */
export const corkUntilConnected: Middleware = (socket, next) => {
  const conn = socket.conn as unknown as EngineConn;
  const tcp = directSender(conn, false) ? conn.transport.socket?._socket : undefined;
  if (!tcp) {
    next();
    return;
  }
  tcp.cork();
  next();
  process.nextTick(() => tcp.uncork());
};

/**
 * Sends `session`: the bytes of `socket.emit('session', payload)`, written straight behind CONNECT
 * when Engine.IO holds nothing back for the socket (see direct-frames.ts), through Engine.IO otherwise
 * (long-polling, another namespace's packets queued on the same connection).
 */
export function sendSession(socket: Socket, payload: SessionPayload): void {
  const sender = directSender(socket.conn as unknown as EngineConn, false);
  if (!sender) {
    socket.emit(RealtimeEvent.SESSION, payload);
    return;
  }
  // Socket.IO's encoding of an event without binaries (socket.io-parser's encodeAsString).
  const prefix = socket.nsp.name === '/' ? `${EVENT}` : `${EVENT}${socket.nsp.name},`;
  sender.sendFrame(wsFrame(`${prefix}[${JSON.stringify(RealtimeEvent.SESSION)},${JSON.stringify(payload)}]`));
}
