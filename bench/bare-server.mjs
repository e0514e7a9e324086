// The reference arm: a bare Socket.IO 4.8 server with Switchboard's Socket.IO options, the same
// JWT verified in io.use, the same room layout, and the same HTTP publish ingress shape (single
// and batch), so the two arms differ only by what Switchboard adds. Started by bench/run.mjs;
// prints "listening <port>".
import { Buffer } from 'node:buffer';
import { createSecretKey } from 'node:crypto';
import { createServer } from 'node:http';
import jwt from 'jsonwebtoken';
import { Server } from 'socket.io';

// A KeyObject, as Switchboard uses: with a string secret jsonwebtoken re-parses the key on every
// verify (~0.8 ms here), which would make the reference arm slow for a reason unrelated to Socket.IO.
const secret = createSecretKey(Buffer.from(process.env.JWT_SECRET));
const seqs = new Map();

function emit(message) {
  const seq = (seqs.get(message.channel) ?? 0) + 1;
  seqs.set(message.channel, seq);
  const envelope = {
    id: `${message.channel}-${seq}`,
    channel: message.channel,
    seq,
    epoch: 'bare',
    event: message.event,
    data: message.data,
    ts: Date.now(),
  };
  io.of('/orders').to(message.channel).emit(message.event, envelope);
  return { id: envelope.id, seq };
}

const http = createServer((req, res) => {
  const route = req.method === 'POST' && { '/v1/publish': 'single', '/v1/publish/batch': 'batch' }[req.url];
  if (!route) {
    res.writeHead(404).end();
    return;
  }
  let body = '';
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    try {
      jwt.verify((req.headers.authorization ?? '').slice(7), secret, { algorithms: ['HS256'] });
      const message = JSON.parse(body);
      const result = route === 'single' ? emit(message) : { results: message.messages.map(emit) };
      res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify(result));
    } catch (error) {
      res.writeHead(400).end(String(error));
    }
  });
});
const io = new Server(http, {
  serveClient: false,
  transports: ['websocket', 'polling'],
  pingInterval: 25_000,
  pingTimeout: 20_000,
  maxHttpBufferSize: 1024 * 1024,
});
io.of('/orders').use((socket, next) => {
  try {
    socket.data.claims = jwt.verify(socket.handshake.auth?.token, secret, { algorithms: ['HS256'] });
    next();
  } catch {
    next(new Error('AUTH_INVALID'));
  }
});
io.of('/orders').on('connection', (socket) => {
  socket.on('subscribe', (request, ack) => {
    void socket.join(request.channel);
    ack?.({ ok: true, channel: request.channel, epoch: 'bare', seq: seqs.get(request.channel) ?? 0 });
  });
});
http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => process.stdout.write(`listening ${http.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
