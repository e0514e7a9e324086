import { closeAllClients, connect, type TestClient } from '../utils/clients';
import { orderUpdated, publish } from '../utils/http';
import { RawClient } from '../utils/raw-client';
import { closed, rawWebSocket, tcp, wsFrame } from '../utils/raw-tcp';
import { createTestApp, type TestApp } from '../utils/test-app';
import { staffToken } from '../utils/tokens';

/**
 * A corpus of raw Engine.IO / Socket.IO / WebSocket / HTTP input shaped after the advisories of
 * socket.io-parser, engine.io and ws since 2022 (and the classics). Each is sent on its own
 * connection while a control client stays connected; after each one the control client must still
 * be connected and still receive a freshly published event.
 */
describe('hostile raw frames', () => {
  let server: TestApp;
  let control: TestClient;
  let probe = 0;
  let disconnects = 0;

  beforeAll(async () => {
    server = await createTestApp({ PRINT_WS_MAX_FRAME_BYTES: '1048576' });
    control = await connect(server.url, '/orders', { token: staffToken() });
    control.socket.on('disconnect', () => (disconnects += 1));
    await control.subscribe('branch:b1');
  });
  afterAll(async () => {
    expect(disconnects).toBe(0);
    closeAllClients();
    await server.close();
  });

  /** The control client is still connected and a new event reaches it. */
  async function controlStillServed(): Promise<void> {
    const id = `probe-${++probe}`;
    await publish(server.url, orderUpdated('branch:b1', id));
    await control.until((c) => c.envelopes().some((e) => (e.data as { orderId: string }).orderId === id));
    expect(control.socket.connected).toBe(true);
  }

  /** Opens an Engine.IO session on /orders, sends frames, gives the server a moment to react. */
  async function sendOnSession(frames: (string | Buffer)[], join = true): Promise<RawClient> {
    const raw = await RawClient.open(server.url);
    if (join) await raw.join('/orders', staffToken());
    for (const frame of frames) raw.send(frame);
    // A ping round trip proves the server processed everything before it (or closed the connection).
    raw.send('42/orders,99["unsubscribe",{"channel":"company:acme"}]');
    await Promise.race([
      raw.closed,
      raw.until((all) => all.some((frame) => typeof frame === 'string' && frame.startsWith('43/orders,99')), 3000),
    ]);
    return raw;
  }

  const socketIoCorpus: [string, (string | Buffer)[]][] = [
    ['garbage text', ['hello', '{}', '[]', 'null', '\u0000\u0001\u0002']],
    ['truncated JSON', ['42/orders,["subscribe",{"channel":', '42/orders,[', '42/orders,{"a":1']],
    ['unknown packet types', ['49/orders,[]', '4x', '4', '9', '7', '8junk']],
    ['a client sending CONNECT_ERROR and stray ACKs', ['44/orders,{"message":"x"}', '43/orders,1[]', '43/orders,999999999999999999999[]']],
    ['events with no name or a non-string name', ['42/orders,[]', '42/orders,[1,2]', '42/orders,[null]', '42/orders,[{"a":1}]']],
    [
      'reserved event names',
      ['42/orders,["connect"]', '42/orders,["disconnect"]', '42/orders,["disconnecting"]', '42/orders,["newListener"]'],
    ],
    [
      'prototype keys in payloads',
      ['42/orders,["subscribe",{"__proto__":{"polluted":1},"channel":"branch:b1"}]', '42/orders,["__proto__",{}]'],
    ],
    ['a namespace that does not exist, and malformed namespaces', ['40/nope,{}', '40/,{}', '40/orders/../admin,{}', '42/nope,["x"]']],
    ['binary packet with a missing attachment', ['451-/orders,["subscribe",{"_placeholder":true,"num":0}]']],
    ['binary packet with zero attachments', ['450-/orders,["subscribe",{"_placeholder":true,"num":0}]']],
    ['binary packet announcing a huge attachment count', ['459999999999-/orders,["subscribe",{}]']],
    ['placeholder out of range', ['451-/orders,["subscribe",{"_placeholder":true,"num":7}]', Buffer.from([1, 2, 3])]],
    ['a binary frame with no packet before it', [Buffer.alloc(64, 7)]],
    ['engine-level packets out of place', ['2', '2probe', '3', '5', '6', '1', '0']],
    ['deeply nested JSON', [`42/orders,["subscribe",${'['.repeat(5000)}${']'.repeat(5000)}]`]],
  ];

  it.each(socketIoCorpus)('survives %s', async (_label, frames) => {
    const raw = await sendOnSession(frames);
    raw.close();
    await controlStillServed();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('survives frames of 1 MB + 1 on /printing-ws and 64 KB + 1 on /orders, closing only the sender', async () => {
    const big = await RawClient.open(server.url);
    await big.join('/orders', staffToken());
    big.send(`42/orders,["subscribe","${'x'.repeat(65_537)}"]`);
    await big.closed;
    const huge = await RawClient.open(server.url);
    huge.send(`42/printing-ws,["x","${'x'.repeat(1_048_577)}"]`);
    await huge.closed;
    await controlStillServed();
  });

  it.each([
    ['a wrong EIO version', 'EIO=3&transport=websocket'],
    ['a future EIO version', 'EIO=5&transport=websocket'],
    ['a non-numeric EIO', 'EIO=abc&transport=websocket'],
    ['an unknown transport', 'EIO=4&transport=carrier-pigeon'],
    ['sid=__proto__', 'EIO=4&transport=websocket&sid=__proto__'],
    ['sid=constructor', 'EIO=4&transport=websocket&sid=constructor'],
    ['sid=toString', 'EIO=4&transport=websocket&sid=toString'],
  ])('refuses a session with %s', async (_label, query) => {
    const { socket, response } = await rawWebSocket(server.url, query);
    // Either the upgrade is refused outright, or (EIO checks run after the upgrade) the server
    // closes the WebSocket without ever sending the Engine.IO open packet.
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    if (/^HTTP\/1\.1 101/.test(response)) await Promise.race([closed(socket), new Promise((resolve) => setTimeout(resolve, 2000))]);
    expect(received).not.toContain('0{"sid"');
    expect(socket.destroyed || !/^HTTP\/1\.1 101/.test(response)).toBe(true);
    socket.destroy();
    await controlStillServed();
  });

  it.each([
    ['RSV1 set without a negotiated extension', wsFrame({ rsv: 0b100, payload: Buffer.from('40/orders,{}') })],
    ['RSV2 and RSV3 set', wsFrame({ rsv: 0b011, payload: Buffer.from('2') })],
    ['an unmasked client frame', wsFrame({ masked: false, payload: Buffer.from('2') })],
    ['a reserved opcode', wsFrame({ opcode: 0x3, payload: Buffer.from('x') })],
    ['a control frame over 125 bytes', wsFrame({ opcode: 0x9, payload: Buffer.alloc(200) })],
    ['a fragmented control frame', wsFrame({ opcode: 0x8, fin: false })],
    ['a continuation with no first fragment', wsFrame({ opcode: 0x0, payload: Buffer.from('x') })],
    ['a length of 2^32 with no body', wsFrame({ payload: Buffer.alloc(0), lengthOverride: 2 ** 32 - 1 })],
    ['invalid UTF-8 in a text frame', wsFrame({ payload: Buffer.from([0xff, 0xfe, 0xfd]) })],
    ['a close frame with an invalid code', wsFrame({ opcode: 0x8, payload: Buffer.from([0x03, 0xe7]) })],
  ])('survives a WebSocket frame with %s', async (_label, frame) => {
    const { socket, response } = await rawWebSocket(server.url);
    expect(response).toMatch(/^HTTP\/1\.1 101/);
    socket.write(frame);
    await Promise.race([closed(socket), new Promise((resolve) => setTimeout(resolve, 300))]);
    socket.destroy();
    await controlStillServed();
  });

  it('negotiates no compression when a client offers permessage-deflate', async () => {
    const { socket } = await tcp(server.url).then(async (s) => {
      s.write(
        'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n',
      );
      const text = await new Promise<string>((resolve) => s.once('data', (chunk: Buffer) => resolve(chunk.toString('latin1'))));
      expect(text).toMatch(/^HTTP\/1\.1 101/);
      expect(text.toLowerCase()).not.toContain('permessage-deflate');
      return { socket: s };
    });
    // A compressed-looking frame is then a protocol error for this connection only.
    socket.write(wsFrame({ rsv: 0b100, payload: Buffer.from([0x02, 0x00]) }));
    socket.destroy();
    await controlStillServed();
  });

  it.each([
    [
      'too many headers',
      `GET /health/live HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 3000 }, (_, i) => `X-H${i}: y\r\n`).join('')}\r\n`,
    ],
    ['an oversized header', `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'z'.repeat(100_000)}\r\n\r\n`],
    ['a malformed request line', 'GARBAGE\r\n\r\n'],
    ['a polling POST with no session', 'POST /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello'],
    [
      'a polling POST for sid=__proto__',
      'POST /socket.io/?EIO=4&transport=polling&sid=__proto__ HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n2',
    ],
    [
      'a body shorter than its Content-Length, left open',
      'POST /v1/publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"a":',
    ],
    [
      'a chunked body that never ends',
      'POST /v1/publish HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n5\r\n{"a":\r\n',
    ],
    ['a reset in the middle of a request', 'POST /v1/publish HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{'],
  ])('survives an HTTP request with %s', async (_label, request) => {
    const socket = await tcp(server.url);
    socket.write(request);
    await Promise.race([closed(socket), new Promise((resolve) => setTimeout(resolve, 200))]);
    socket.resetAndDestroy();
    await controlStillServed();
  });

  it('survives a polling session fed garbage by POST', async () => {
    const open = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`);
    const sid = (JSON.parse((await open.text()).slice(1)) as { sid: string }).sid;
    for (const body of ['\u001e\u001e', '4\u001e9', 'b4AAAA', '42/orders,[', 'x'.repeat(70_000)]) {
      const response = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, { method: 'POST', body });
      await response.text();
    }
    await controlStillServed();
  });
});
