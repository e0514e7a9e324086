// Load client process: raw WebSocket speaking Engine.IO v4 / Socket.IO v5 text frames (about a
// third of socket.io-client's CPU per delivery), so the clients are not what saturates first.
// Driven over IPC by bench/run.mjs: { cmd: 'connect', ... } then { cmd: 'report' }.
import WebSocket from 'ws';

const NS = '/orders';
let sockets = [];
let latencies = [];
let received = 0;
const seen = new Set();

function open(url, token, channel) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`, { perMessageDeflate: false });
    let subscribed = false;
    const timer = setTimeout(() => reject(new Error('connect timeout')), 20_000);
    ws.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    ws.on('message', (raw) => {
      const frame = raw.toString();
      if (frame === '2') return ws.send('3');
      if (frame.startsWith('0{')) return ws.send(`40${NS},${JSON.stringify({ token })}`);
      if (frame.startsWith(`40${NS},`)) {
        if (channel === undefined) {
          clearTimeout(timer);
          resolve(ws);
          return;
        }
        return ws.send(`42${NS},0${JSON.stringify(['subscribe', { channel }])}`);
      }
      if (frame.startsWith(`44${NS},`)) {
        clearTimeout(timer);
        reject(new Error(`refused: ${frame}`));
        return;
      }
      if (!subscribed && frame.startsWith(`43${NS},0`)) {
        subscribed = true;
        clearTimeout(timer);
        resolve(ws);
        return;
      }
      if (frame.startsWith(`42${NS},`)) onEvent(frame.slice(NS.length + 3));
    });
  });
}

function onEvent(json) {
  const now = performance.timeOrigin + performance.now();
  const [event, payload] = JSON.parse(json);
  const envelopes = event === 'batch' ? payload.events : event === 'order:updated' ? [payload] : [];
  for (const envelope of envelopes) {
    received += 1;
    const sentAt = envelope.data?.sentAt;
    if (typeof sentAt === 'number') latencies.push(now - sentAt);
    if (envelope.data?.probe !== undefined) seen.add(envelope.data.probe);
  }
}

process.on('message', async (message) => {
  if (message.cmd === 'connect') {
    const started = performance.now();
    const { url, token, count, channels, concurrency = 200, subscribe = true } = message;
    let next = 0;
    let failed = 0;
    const worker = async () => {
      while (next < count) {
        const index = next++;
        try {
          sockets.push(await open(url, token, subscribe ? channels[index % channels.length] : undefined));
        } catch {
          failed += 1;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
    process.send({ cmd: 'connected', count: sockets.length, failed, ms: performance.now() - started });
  } else if (message.cmd === 'reset') {
    latencies = [];
    received = 0;
    process.send({ cmd: 'reset' });
  } else if (message.cmd === 'report') {
    process.send({ cmd: 'report', received, latencies });
  } else if (message.cmd === 'close') {
    for (const ws of sockets) ws.terminate();
    sockets = [];
    process.send({ cmd: 'closed' });
  }
});
process.send({ cmd: 'ready' });
