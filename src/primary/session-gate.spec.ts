import cluster, { type Worker } from 'node:cluster';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { gateUnknownSessions } from './session-gate';

const SID = 'abcdefghij0123456789';

/** A server whose "sticky" connection handler records what it is handed, behind the gate. */
function gated(maxWaitMs: number): { server: Server; handed: string[] } {
  const server = createServer();
  server.removeAllListeners('connection');
  const handed: string[] = [];
  server.on('connection', (socket: Socket) => {
    socket.once('data', (chunk: Buffer) => handed.push(chunk.toString('latin1').split('\r\n')[0]));
  });
  gateUnknownSessions(server, maxWaitMs);
  return { server, handed };
}

function request(server: Server, path: string): PassThrough {
  const socket = new PassThrough();
  server.emit('connection', socket);
  socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
  return socket;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const worker = { id: 3 } as Worker;

describe('gateUnknownSessions (a request for a session the primary has not learnt yet)', () => {
  afterEach(() => {
    cluster.removeAllListeners('message');
    cluster.removeAllListeners('exit');
  });

  it('hands handshakes (no sid) and requests of known sessions to sticky at once', async () => {
    const { server, handed } = gated(1000);
    request(server, '/socket.io/?EIO=4&transport=polling');
    cluster.emit('message', worker, { type: 'sticky:connection', data: SID });
    request(server, `/socket.io/?EIO=4&transport=polling&sid=${SID}`);
    await tick();
    expect(handed).toEqual([
      'GET /socket.io/?EIO=4&transport=polling HTTP/1.1',
      `GET /socket.io/?EIO=4&transport=polling&sid=${SID} HTTP/1.1`,
    ]);
  });

  it('holds a request whose session id arrives later over IPC, and hands it on, bytes intact, once it does', async () => {
    const { server, handed } = gated(60_000);
    request(server, `/socket.io/?EIO=4&transport=polling&sid=${SID}`);
    await tick();
    expect(handed).toEqual([]);
    cluster.emit('message', worker, { type: 'sticky:connection', data: SID });
    await tick();
    expect(handed).toEqual([`GET /socket.io/?EIO=4&transport=polling&sid=${SID} HTTP/1.1`]);
  });

  it('lets a request for a session that never appears through after the wait (it fails as before)', async () => {
    const { server, handed } = gated(20);
    request(server, `/socket.io/?EIO=4&transport=polling&sid=${SID}`);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(handed).toHaveLength(1);
  });

  it('forgets sessions that ended, and those of a worker that exited', async () => {
    const { server, handed } = gated(60_000);
    cluster.emit('message', worker, { type: 'sticky:connection', data: SID });
    cluster.emit('message', worker, { type: 'sticky:disconnection', data: SID });
    request(server, `/socket.io/?EIO=4&transport=polling&sid=${SID}`);
    const other = 'zyxwvutsrq9876543210';
    cluster.emit('message', worker, { type: 'sticky:connection', data: other });
    cluster.emit('exit', worker);
    request(server, `/socket.io/?EIO=4&transport=polling&sid=${other}`);
    await tick();
    expect(handed).toEqual([]);
  });
});
