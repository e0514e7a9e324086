import { Buffer } from 'node:buffer';
import { Server, type Namespace } from 'socket.io';
import { writeToRoom } from './room-writer';

/** An Engine.IO socket as room-writer reads it: idle and open on a WebSocket unless told otherwise. */
function engineSocket(
  overrides: { readyState?: string; upgrading?: boolean; writeBuffer?: unknown[]; transport?: Record<string, unknown> } = {},
) {
  const sendFrame = jest.fn<void, [Buffer[]]>();
  const write = jest.fn<void, [string, { wsPreEncodedFrame: Buffer[] }]>();
  const conn = {
    readyState: 'open',
    upgrading: false,
    writeBuffer: [] as unknown[],
    ...overrides,
    transport: {
      name: 'websocket',
      writable: true,
      perMessageDeflate: null,
      socket: { readyState: 1, _sender: { sendFrame } },
      ...overrides.transport,
    },
    write,
  };
  return { conn, sendFrame, write };
}

describe('writeToRoom', () => {
  let io: Server;
  let nsp: Namespace;

  beforeEach(() => {
    // A real namespace, encoder and adapter (no HTTP server, nothing to close): only the Engine.IO
    // sockets are stand-ins.
    io = new Server();
    nsp = io.of('/orders');
  });

  const member = (id: string, socket: ReturnType<typeof engineSocket>): void => {
    (nsp.sockets as Map<string, unknown>).set(id, { conn: socket.conn });
    void nsp.adapter.addAll(id, new Set(['branch:b1']));
  };
  const payload = { id: 'e1', channel: 'branch:b1', seq: 1 };
  const wire = '42/orders,["order:updated",{"id":"e1","channel":"branch:b1","seq":1}]';

  it('hands the frame of an idle WebSocket straight to its sender: the bytes Socket.IO would send', () => {
    const idle = engineSocket();
    member('a', idle);
    expect(writeToRoom(nsp, 'branch:b1', 'order:updated', payload)).toEqual({ direct: 1, engine: 0 });
    expect(idle.write).not.toHaveBeenCalled();
    const [frame] = idle.sendFrame.mock.calls[0];
    // One buffer (one write per socket): an unmasked final text frame (0x81), its 7-bit length,
    // and the Engine.IO message of the Socket.IO event.
    expect(frame).toHaveLength(1);
    expect([frame[0][0], frame[0][1]]).toEqual([0x81, wire.length]);
    expect(frame[0].subarray(2).toString()).toBe(wire);
  });

  it.each([
    ['a write is in flight (transport not writable)', { transport: { writable: false } }],
    ['Engine.IO holds packets for it', { writeBuffer: [{ type: 'message' }] }],
    ['it is on long-polling', { transport: { name: 'polling', socket: undefined } }],
    ['it is upgrading its transport', { upgrading: true }],
    ['its transport compresses', { transport: { perMessageDeflate: {} } }],
    ['its WebSocket is closing', { transport: { socket: { readyState: 2, _sender: { sendFrame: jest.fn() } } } }],
  ])('goes through Engine.IO, behind what it holds, when %s', (_case, overrides) => {
    const busy = engineSocket(overrides);
    member('a', busy);
    expect(writeToRoom(nsp, 'branch:b1', 'order:updated', payload)).toEqual({ direct: 0, engine: 1 });
    expect(busy.sendFrame).not.toHaveBeenCalled();
    const [packet, options] = busy.write.mock.calls[0];
    expect(packet).toBe(wire.slice(1));
    expect(options.wsPreEncodedFrame).toHaveLength(1);
    expect(options.wsPreEncodedFrame[0].subarray(2).toString()).toBe(wire);
  });

  it('writes every member of the room once, each by its own path, and skips a closed one', () => {
    const [idle, busy, closed] = [engineSocket(), engineSocket({ transport: { writable: false } }), engineSocket({ readyState: 'closed' })];
    member('a', idle);
    member('b', busy);
    member('c', closed);
    expect(writeToRoom(nsp, 'branch:b1', 'order:updated', payload)).toEqual({ direct: 1, engine: 1 });
    expect(idle.sendFrame).toHaveBeenCalledTimes(1);
    expect(busy.write).toHaveBeenCalledTimes(1);
    expect(closed.sendFrame).not.toHaveBeenCalled();
    expect(closed.write).not.toHaveBeenCalled();
  });

  it('leaves a payload with binary attachments to Socket.IO', () => {
    member('a', engineSocket());
    expect(writeToRoom(nsp, 'branch:b1', 'file', { blob: Buffer.from([1, 2]) })).toBeUndefined();
  });

  it('writes nothing to a room without members', () => {
    expect(writeToRoom(nsp, 'branch:none', 'order:updated', payload)).toEqual({ direct: 0, engine: 0 });
  });
});
