import cluster, { type Worker } from 'node:cluster';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { setupMaster } from '@socket.io/sticky';
import { gateUnknownSessions } from '../../src/primary/session-gate';

/** What the fixture worker reports once a connection's bytes end with "END". */
interface Recorded {
  readonly type: 'recorded';
  readonly path: 'handed-over' | 'relayed';
  readonly text: string;
}

const HOLD_MS = 300;
const UNKNOWN_SID = 'neverreported0123456';

/**
 * The sticky primary as dist/primary.js builds it (@socket.io/sticky's setupMaster behind
 * gateUnknownSessions), with a real cluster worker and real TCP clients. What must hold: every
 * byte a client sends reaches the worker, whether sticky hands the socket over or keeps it.
 */
describe('sticky primary: no client bytes lost in the hand-over to a worker', () => {
  let server: Server;
  let worker: Worker;
  let port: number;
  const recorded: Recorded[] = [];
  const waiters: (() => void)[] = [];
  /** Resolves once the primary has read a connection's first chunk. */
  const firstChunkRead: (() => void)[] = [];

  beforeAll(async () => {
    cluster.setupPrimary({
      exec: join(__dirname, '..', 'fixtures', 'cluster', 'byte-recorder.cjs'),
      args: [],
      silent: true,
      serialization: 'advanced',
    });
    worker = cluster.fork();
    // sticky tells the worker when a relayed client leaves, without a callback: once the worker is
    // gone at the end, that send fails on the channel (WorkerPool logs these in production).
    worker.on('error', () => undefined);
    await new Promise((resolve) => worker.once('message', resolve));
    worker.on('message', (message: Recorded) => {
      if (message?.type !== 'recorded') return;
      recorded.push(message);
      for (const wake of waiters.splice(0)) wake();
    });
    server = createServer();
    setupMaster(server, { loadBalancingMethod: 'least-connection' });
    gateUnknownSessions(server, HOLD_MS);
    // Ahead of the gate: it tells the test when the primary has read a request's first chunk.
    server.prependListener('connection', (socket: Socket) =>
      socket.once('data', () => {
        for (const wake of firstChunkRead.splice(0)) wake();
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  }, 30_000);

  afterAll(async () => {
    server?.close();
    if (worker) {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.kill();
      await exited;
    }
    cluster.removeAllListeners('message');
    cluster.removeAllListeners('exit');
  }, 30_000);

  function recordedWith(marker: string, timeoutMs = 10_000): Promise<Recorded> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the worker never got all of "${marker}" (recorded: ${JSON.stringify(recorded)})`)),
        timeoutMs,
      );
      const test = () => {
        const found = recorded.find((entry) => entry.text.includes(marker));
        if (found) {
          clearTimeout(timer);
          resolve(found);
        } else waiters.push(test);
      };
      test();
    });
  }

  function open(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(socket));
      socket.once('error', reject);
    });
  }

  it('bytes sent while the primary holds a request reach the worker with its socket', async () => {
    const socket = await open();
    const read = new Promise<void>((resolve) => firstChunkRead.push(resolve));
    // An upgrade for a session the primary never learns: the gate holds it for HOLD_MS.
    socket.write(`GET /socket.io/?EIO=4&transport=websocket&sid=${UNKNOWN_SID}&m=held HTTP/1.1\r\nHost: x\r\n\r\n`);
    await read;
    // Sent while the primary holds the socket: before the fix, its stream read these and
    // dropped them when the socket went to the worker.
    socket.write('first frame END');
    const entry = await recordedWith('m=held');
    socket.destroy();
    expect(entry.path).toBe('handed-over');
    expect(entry.text.endsWith('\r\n\r\nfirst frame END')).toBe(true);
  });

  it("a client's first frame after the 101 reaches the worker, on every one of 50 connections at once", async () => {
    const marker = (i: number) => `m=burst-${i}-`;
    const clients = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const socket = await open();
        socket.write(`GET /v1/ws?${marker(i)} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`);
        // As a WebSocket client does: the first frame goes out once the 101 is in.
        socket.once('data', () => socket.write(`auth ${i} END`));
        return socket;
      }),
    );
    const entries = await Promise.all(clients.map((_, i) => recordedWith(marker(i))));
    for (const socket of clients) socket.destroy();
    expect(entries.filter((entry, i) => !entry.text.endsWith(`\r\n\r\nauth ${i} END`)).map((entry) => entry.text)).toEqual([]);
  });

  it('a request with a body stays with the primary, which relays the body sent after its headers', async () => {
    const socket = await open();
    const read = new Promise<void>((resolve) => firstChunkRead.push(resolve));
    const body = 'a body END';
    socket.write(`POST /socket.io/?EIO=4&transport=polling&m=post HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`);
    await read;
    socket.write(body);
    const entry = await recordedWith('m=post');
    socket.destroy();
    expect(entry.path).toBe('relayed');
    expect(entry.text.endsWith(`\r\n\r\n${body}`)).toBe(true);
  });
});
