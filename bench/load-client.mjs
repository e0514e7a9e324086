// Load client process: raw WebSocket speaking Engine.IO v4 / Socket.IO v5 text frames (a fraction
// of socket.io-client's CPU per delivery, see lib/raw-ws.mjs), so the clients are not what
// saturates first.
// A few real socket.io-client sockets ride along to validate what the raw clients count.
// Driven over IPC by bench/scenarios.mjs: connect, reset, count, report, positions, close.
import { io } from 'socket.io-client';
import { openRawWebSocket } from './lib/raw-ws.mjs';

const NS = '/orders';
/** An event's frame starts with these bytes: Engine.IO message (4), Socket.IO EVENT (2), the namespace. */
const EVENT_PREFIX = Buffer.from(`42${NS},`);

function isEvent(bytes, start, end) {
  if (end - start <= EVENT_PREFIX.length) return false;
  for (let i = 0; i < EVENT_PREFIX.length; i++) if (bytes[start + i] !== EVENT_PREFIX[i]) return false;
  return true;
}
let sockets = [];
let validators = [];
let latencies = [];
let received = 0;
let validatorReceived = 0;
/** The newest { epoch, seq } seen per channel (from acks and events): where a reconnect resumes. */
const positions = new Map();

const now = () => performance.timeOrigin + performance.now();

function remember(channel, epoch, seq) {
  const known = positions.get(channel);
  if (!known || known.epoch !== epoch || known.seq < seq) positions.set(channel, { epoch, seq });
}

/** Opens one raw client; resolves with its socket and its subscribe ack (if it subscribed). */
function open(url, token, channel, since) {
  return new Promise((resolve, reject) => {
    let ack;
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('connect timeout'));
    }, 30_000);
    const onText = (bytes, start, end) => {
      // The hot path: an event is parsed from the bytes, without a string of the whole frame first.
      if (isEvent(bytes, start, end)) return onEvent(bytes.toString('utf8', start + EVENT_PREFIX.length, end), false);
      const frame = bytes.toString('utf8', start, end);
      if (frame === '2') return ws.send('3');
      if (frame.startsWith('0{')) return ws.send(`40${NS},${JSON.stringify({ token })}`);
      if (frame.startsWith(`40${NS},`)) {
        if (channel === undefined) {
          clearTimeout(timer);
          resolve({ ws });
          return;
        }
        return ws.send(`42${NS},0${JSON.stringify(['subscribe', since ? { channel, since } : { channel }])}`);
      }
      if (frame.startsWith(`44${NS},`)) {
        clearTimeout(timer);
        ws.terminate();
        reject(new Error(`refused: ${frame}`));
        return;
      }
      if (ack === undefined && frame.startsWith(`43${NS},0`)) {
        [ack] = JSON.parse(frame.slice(NS.length + 4));
        clearTimeout(timer);
        if (ack?.ok && ack.epoch !== undefined) remember(channel, ack.epoch, ack.seq);
        resolve({ ws, ack });
      }
    };
    const ws = openRawWebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`, { onText });
    ws.opened.catch((error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function onEvent(json, validator) {
  const at = now();
  const [event, payload] = JSON.parse(json);
  const envelopes = event === 'batch' ? payload.events : event === 'order:updated' ? [payload] : [];
  for (const envelope of envelopes) {
    if (validator) {
      validatorReceived += 1;
      continue;
    }
    received += 1;
    if (envelope.epoch !== undefined) remember(envelope.channel, envelope.epoch, envelope.seq);
    const sentAt = envelope.data?.sentAt;
    if (typeof sentAt === 'number') latencies.push(at - sentAt);
  }
}

/** socket.io-client sockets: the reference client, counting deliveries for comparison. */
async function openValidators(url, token, channels, count) {
  const opened = await Promise.all(
    Array.from({ length: count }, (_, index) => {
      const socket = io(`${url}${NS}`, { transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true });
      socket.onAny((event, payload) => {
        if (event === 'batch') validatorReceived += payload.events.length;
        else if (event === 'order:updated') validatorReceived += 1;
      });
      return socket
        .timeout(30_000)
        .emitWithAck('subscribe', { channel: channels[index % channels.length] })
        .then(() => socket);
    }),
  );
  validators.push(...opened);
}

/** Opens `count` clients, `concurrency` at a time; reports how many made it and how long it took. */
async function connectAll({ url, token, count, channels, concurrency = 200, subscribe = true, since }) {
  const started = performance.now();
  let next = 0;
  let failed = 0;
  let recovered = 0;
  let notRecovered = 0;
  let firstError;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const channel = subscribe ? channels[index % channels.length] : undefined;
      try {
        const { ws, ack } = await open(url, token, channel, since?.[channel]);
        sockets.push(ws);
        if (ack?.recovered === true) recovered += 1;
        if (ack?.recovered === false) notRecovered += 1;
      } catch (error) {
        failed += 1;
        firstError ??= error.message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { count: sockets.length, failed, firstError, recovered, notRecovered, ms: performance.now() - started };
}

function closeAll() {
  for (const ws of sockets) ws.terminate();
  for (const socket of validators) socket.disconnect();
  sockets = [];
  validators = [];
}

process.on('message', async (message) => {
  if (message.cmd === 'connect') {
    const result = await connectAll(message);
    if (message.validators) await openValidators(message.url, message.token, message.channels, message.validators);
    process.send({ cmd: 'connected', ...result });
  } else if (message.cmd === 'reset') {
    latencies = [];
    received = 0;
    validatorReceived = 0;
    process.send({ cmd: 'reset' });
  } else if (message.cmd === 'report') {
    process.send({ cmd: 'report', received, validatorReceived, validators: validators.length, latencies });
  } else if (message.cmd === 'count') {
    process.send({ cmd: 'count', received });
  } else if (message.cmd === 'positions') {
    process.send({ cmd: 'positions', positions: Object.fromEntries(positions) });
  } else if (message.cmd === 'close') {
    closeAll();
    process.send({ cmd: 'closed' });
  }
});
process.send({ cmd: 'ready' });
// The bench ended (or died): nothing left to measure for.
process.on('disconnect', () => process.exit(0));
