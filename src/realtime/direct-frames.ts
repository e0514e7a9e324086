import { Buffer } from 'node:buffer';
import WebSocket from 'ws';

/** Engine.IO protocol v4: the packet type of a message, the prefix of every Socket.IO packet. */
const MESSAGE = '4';
/** `ws`'s WebSocket.OPEN. */
const WS_OPEN = 1;

/** The parts of `ws`'s sender that Engine.IO itself uses for a pre-encoded frame. */
export interface FrameSender {
  sendFrame(list: readonly Buffer[], callback?: (error?: Error) => void): void;
}

/** The TCP socket under a WebSocket (the parts used here). */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

/** The parts of an Engine.IO socket read here; Engine.IO does not type them publicly. */
export interface EngineConn {
  readonly readyState: string;
  readonly upgrading: boolean;
  readonly writeBuffer: readonly unknown[];
  readonly transport: {
    readonly name: string;
    readonly writable: boolean;
    readonly perMessageDeflate?: unknown;
    readonly socket?: { readonly readyState: number; readonly _sender?: FrameSender; readonly _socket?: Corkable };
  };
  write(data: string, options: object): void;
}

type FrameOf = (data: Buffer, options: { readOnly: boolean; mask: boolean; rsv1: boolean; opcode: number; fin: boolean }) => Buffer[];
const frameOf = (WebSocket as unknown as { Sender: { frame: FrameOf } }).Sender.frame;

/**
 * The WebSocket frame of an encoded Socket.IO packet, as Engine.IO would send it: an unmasked
 * final text frame of the Engine.IO message. Header and payload in one buffer: `ws` writes a
 * two-part frame as cork, two writes and a `writev`, and one part as a single write (issue 14:
 * the JavaScript around each socket's write is most of what a delivery costs).
 */
export function wsFrame(packet: string): Buffer[] {
  return [Buffer.concat(frameOf(Buffer.from(MESSAGE + packet), { readOnly: false, mask: false, rsv1: false, opcode: 1, fin: true }))];
}

/**
 * The WebSocket sender of a socket whose next frame may bypass Engine.IO, or undefined.
 *
 * Order is what makes it safe: a frame handed to `ws` here lands on the TCP stream after what
 * Engine.IO already handed to `ws`, so it may bypass Engine.IO only when Engine.IO holds nothing
 * back for the socket. That is an open, uncompressed WebSocket (compression queues frames inside
 * `ws`), not upgrading, with an empty write buffer. A write in flight (`transport.writable`
 * false) holds nothing back on a WebSocket, because Engine.IO's WebSocket transport hands every
 * packet of a flush to `ws` synchronously; `idle` asks for no write in flight anyway.
 */
export function directSender(conn: EngineConn, idle: boolean): FrameSender | undefined {
  const { transport } = conn;
  if (conn.readyState !== 'open' || conn.upgrading || conn.writeBuffer.length > 0 || (idle && !transport.writable)) return undefined;
  if (transport.name !== 'websocket' || transport.perMessageDeflate) return undefined;
  const ws = transport.socket;
  return ws?.readyState === WS_OPEN ? ws._sender : undefined;
}
