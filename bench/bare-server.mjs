// The reference arm: a bare Socket.IO 4.8 server with Switchboard's Socket.IO options, the same
// JWT verified in io.use, the same room layout, and the same HTTP publish ingress shape, so the
// two arms differ only by what Switchboard adds. Started by bench/run.mjs; prints "listening <port>".
import { createServer } from 'node:http';
import jwt from 'jsonwebtoken';
import { Server } from 'socket.io';

const secret = process.env.JWT_SECRET;
const seqs = new Map();
const http = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/v1/publish') {
    res.writeHead(404).end();
    return;
  }
  let body = '';
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    try {
      jwt.verify((req.headers.authorization ?? '').slice(7), secret, { algorithms: ['HS256'] });
      const message = JSON.parse(body);
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
      res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ id: envelope.id, seq }));
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
