import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/** Opens a TCP connection to the test server; errors (resets) are expected and swallowed. */
export function tcp(url: string): Promise<Socket> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => resolve(socket));
    socket.on('error', () => undefined);
    socket.once('error', reject);
  });
}

export function closed(socket: Socket): Promise<void> {
  return socket.destroyed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()));
}

/** A WebSocket upgrade done by hand, so the test can then write frames no library would produce. */
export async function rawWebSocket(url: string, query = 'EIO=4&transport=websocket'): Promise<{ socket: Socket; response: string }> {
  const socket = await tcp(url);
  const key = randomBytes(16).toString('base64');
  socket.write(
    `GET /socket.io/?${query} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const response = await new Promise<string>((resolve) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (text.includes('\r\n\r\n')) {
        socket.off('data', onData);
        resolve(text);
      }
    };
    socket.on('data', onData);
    socket.once('close', () => resolve(text));
  });
  return { socket, response };
}

/** A client WebSocket frame with every bit under the caller's control. */
export function wsFrame(options: {
  opcode?: number;
  payload?: Buffer;
  fin?: boolean;
  rsv?: number;
  masked?: boolean;
  lengthOverride?: number;
}): Buffer {
  const payload = options.payload ?? Buffer.alloc(0);
  const first = (options.fin === false ? 0 : 0x80) | ((options.rsv ?? 0) << 4) | (options.opcode ?? 0x1);
  const masked = options.masked ?? true;
  const length = options.lengthOverride ?? payload.length;
  const header: number[] = [first];
  if (length < 126) header.push((masked ? 0x80 : 0) | length);
  else if (length < 65536) header.push((masked ? 0x80 : 0) | 126, length >> 8, length & 0xff);
  else {
    header.push((masked ? 0x80 : 0) | 127, 0, 0, 0, 0);
    header.push((length >>> 24) & 0xff, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff);
  }
  if (!masked) return Buffer.concat([Buffer.from(header), payload]);
  const mask = randomBytes(4);
  const body = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]));
  return Buffer.concat([Buffer.from(header), mask, body]);
}
