// A minimal WebSocket client for the load client: the upgrade by hand, then frames read straight
// from one reused buffer (net's `onread`, which bypasses the stream machinery). Per delivery the
// `ws` client cost ~29 µs of CPU here, about as much as the bare server's whole work, so on the
// N=1,000 ladders the client saturated first and the result read whichever arm it kept up with
// (issue 14). It speaks only what the bench needs: text frames in (unfragmented or fragmented),
// text frames out (masked with a zero key, which RFC 6455 allows), ping/pong and close.
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';

const OP_CONTINUATION = 0x0;
const OP_TEXT = 0x1;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const EMPTY = Buffer.alloc(0);
/** One read buffer for every socket of the process: a read's bytes are consumed before the next read. */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

/** A client frame: FIN, the opcode, the mask bit with a zero key (so the payload goes as is). */
function frame(opcode, payload) {
  const length = payload.length;
  const head = length < 126 ? 6 : length < 65536 ? 8 : 14;
  const out = Buffer.allocUnsafe(head + length);
  out[0] = 0x80 | opcode;
  if (length < 126) {
    out[1] = 0x80 | length;
  } else if (length < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(length, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeUInt32BE(0, 2);
    out.writeUInt32BE(length, 6);
  }
  out.writeUInt32BE(0, head - 4);
  payload.copy(out, head);
  return out;
}

/**
 * Opens `url` (ws://host:port/path) and returns the client at once: `send(text)`, `terminate()`,
 * and `opened`, a promise of the upgrade (rejected with the HTTP status line when the server
 * refuses it). `onText(buffer, start, end)` gets each text message's bytes, in a buffer that is
 * only valid during the call; it may call `send` (frames can arrive with the upgrade's response).
 */
export function openRawWebSocket(url, { onText, onClose = () => {} }) {
  const { hostname, port, pathname, search } = new URL(url);
  let socket;
  const client = {
    send(text) {
      socket.write(frame(OP_TEXT, Buffer.from(text)));
    },
    terminate() {
      socket.destroy();
    },
  };
  client.opened = new Promise((resolve, reject) => {
    let upgraded = false;
    let head = '';
    /** Bytes of an incomplete frame, carried to the next read. */
    let carry = EMPTY;
    /** Payloads of a fragmented message so far. */
    let fragments = null;
    const frames = (bytes) => {
      let at = 0;
      while (bytes.length - at >= 2) {
        const b0 = bytes[at];
        let length = bytes[at + 1] & 0x7f;
        let start = at + 2;
        if (length === 126) {
          if (bytes.length - at < 4) break;
          length = bytes.readUInt16BE(at + 2);
          start = at + 4;
        } else if (length === 127) {
          if (bytes.length - at < 10) break;
          length = bytes.readUInt32BE(at + 6);
          start = at + 10;
        }
        const end = start + length;
        if (end > bytes.length) break;
        const opcode = b0 & 0x0f;
        const fin = (b0 & 0x80) !== 0;
        if (opcode === OP_TEXT && fin) onText(bytes, start, end);
        else if (opcode === OP_TEXT || opcode === OP_CONTINUATION) {
          (fragments ??= []).push(Buffer.from(bytes.subarray(start, end)));
          if (fin) {
            const whole = Buffer.concat(fragments);
            fragments = null;
            onText(whole, 0, whole.length);
          }
        } else if (opcode === OP_PING) socket.write(frame(0xa, bytes.subarray(start, end)));
        else if (opcode === OP_CLOSE) socket.end();
        at = end;
      }
      // What is left is copied: the read buffer is reused by the next read.
      carry = at < bytes.length ? Buffer.from(bytes.subarray(at)) : EMPTY;
    };

    socket = connect({
      host: hostname,
      port: Number(port),
      onread: {
        buffer: READ_BUFFER,
        callback: (bytes) => {
          const chunk = READ_BUFFER.subarray(0, bytes);
          if (upgraded) {
            frames(carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk);
            return;
          }
          head += chunk.toString('latin1');
          const ends = head.indexOf('\r\n\r\n');
          if (ends < 0) return;
          const status = head.slice(0, head.indexOf('\r\n'));
          if (!/^HTTP\/1\.1 101 /.test(status)) {
            socket.destroy();
            reject(new Error(`upgrade refused: ${status}`));
            return;
          }
          upgraded = true;
          const rest = Buffer.from(head.slice(ends + 4), 'latin1');
          head = '';
          resolve();
          if (rest.length > 0) frames(rest);
        },
      },
    });
    socket.setNoDelay(true);
    socket.on('connect', () => {
      socket.write(
        `GET ${pathname}${search} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    socket.on('error', (error) => {
      if (!upgraded) reject(error);
    });
    socket.on('close', () => {
      if (!upgraded) reject(new Error('closed before the upgrade'));
      onClose();
    });
  });
  return client;
}
