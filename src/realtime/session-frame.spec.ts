import { Buffer } from 'node:buffer';
import { Server, type Socket } from 'socket.io';
import type { SessionPayload } from './realtime.events';
import { corkUntilConnected, sendSession } from './session-frame';

/** A Socket.IO socket as session-frame reads it: on an open, idle WebSocket unless told otherwise. */
function stubSocket(nsp: string, transport: Record<string, unknown> = {}, writeBuffer: unknown[] = []) {
  const calls: string[] = [];
  const sendFrame = jest.fn((list: Buffer[]) => void calls.push(`frame:${list.length}`));
  const tcp = { cork: jest.fn(() => void calls.push('cork')), uncork: jest.fn(() => void calls.push('uncork')) };
  const emit = jest.fn();
  const socket = {
    nsp: { name: nsp },
    emit,
    conn: {
      readyState: 'open',
      upgrading: false,
      writeBuffer,
      transport: {
        name: 'websocket',
        writable: true,
        perMessageDeflate: null,
        socket: { readyState: 1, _sender: { sendFrame }, _socket: tcp },
        ...transport,
      },
    },
  } as unknown as Socket;
  return { socket, sendFrame, tcp, emit, calls };
}

const session: SessionPayload = {
  sessionId: 's1',
  namespace: '/orders',
  node: 'n1',
  user: { id: 'u1', companyId: 'acme', branchIds: ['b1'], roles: ['staff'] },
  limits: {} as SessionPayload['limits'],
  tokenExpiresAt: 1_700_000_000_000,
  serverTime: 1_700_000_000_001,
};

describe('sendSession', () => {
  it.each(['/orders', '/'])('writes the bytes Socket.IO would send for emit("session") on %s, in one buffer', (nsp) => {
    const { socket, sendFrame, emit } = stubSocket(nsp);
    sendSession(socket, session);
    expect(emit).not.toHaveBeenCalled();
    const [[list]] = sendFrame.mock.calls;
    expect(list).toHaveLength(1);
    // Socket.IO's own encoder (type 2: EVENT), as a real server holds it.
    const [encoded] = new Server().encoder.encode({ type: 2, nsp, data: ['session', session] }) as string[];
    const message = `4${encoded}`;
    // An unmasked final text frame (0x81) with a 16-bit length (126), then the Engine.IO message.
    expect([list[0][0], list[0][1], list[0].readUInt16BE(2)]).toEqual([0x81, 126, message.length]);
    expect(list[0].subarray(4).toString()).toBe(message);
  });

  it.each([
    ['the connection is on long-polling', { name: 'polling', socket: undefined }, []],
    ['Engine.IO holds packets for it (CONNECT not yet written)', {}, [{ type: 'message' }]],
    ['its transport compresses', { perMessageDeflate: {} }, []],
  ])('emits through Socket.IO when %s', (_case, transport, writeBuffer) => {
    const { socket, sendFrame, emit } = stubSocket('/orders', transport, writeBuffer);
    sendSession(socket, session);
    expect(sendFrame).not.toHaveBeenCalled();
    expect(emit).toHaveBeenCalledWith('session', session);
  });
});

describe('corkUntilConnected', () => {
  it('corks the TCP socket across next() and what runs in the same tick, and uncorks in the next tick', async () => {
    const { socket, tcp, calls } = stubSocket('/orders');
    const next = jest.fn(() => {
      calls.push('next');
      // Socket.IO connects the socket (CONNECT, then handleConnection's `session`) in a tick queued here.
      process.nextTick(() => calls.push('connected'));
    });
    corkUntilConnected(socket, next);
    expect(calls).toEqual(['cork', 'next']);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(calls).toEqual(['cork', 'next', 'connected', 'uncork']);
    expect(tcp.uncork).toHaveBeenCalledTimes(1);
  });

  it('only calls next() when the connection is not on a WebSocket', async () => {
    const { socket, tcp } = stubSocket('/orders', { name: 'polling', socket: undefined });
    const next = jest.fn();
    corkUntilConnected(socket, next);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(next).toHaveBeenCalledWith();
    expect(tcp.cork).not.toHaveBeenCalled();
  });
});
