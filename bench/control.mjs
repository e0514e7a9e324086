// Control process for the hostile scenarios (bench/hostile.mjs): a well-behaved tenant on another
// IP and company than the attacker. While a storm runs it publishes to its own channel at a
// steady rate and measures publish-to-deliver on a real socket.io-client, and probes /health/live.
// IPC: { cmd: 'start', url, publishToken, clientToken, perSecond } then { cmd: 'stop' } -> figures.
import http from 'node:http';
import { io } from 'socket.io-client';

const now = () => performance.timeOrigin + performance.now();
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
let run;

function request(url, { method = 'GET', token, body } = {}) {
  return new Promise((resolve) => {
    const req = http.request(url, {
      method,
      agent,
      headers: {
        ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
    });
    req.on('response', (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

function quantiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.length ? sorted[sorted.length - 1] : NaN };
}

async function start({ url, publishToken, clientToken, perSecond }) {
  const socket = io(`${url}/orders`, { auth: { token: clientToken }, transports: ['websocket'], reconnection: true });
  const latencies = [];
  const live = [];
  const roundTrips = [];
  const received = new Set();
  socket.on('order:updated', (envelope) => {
    received.add(envelope.data.orderId);
    latencies.push(now() - envelope.data.sentAt);
  });
  socket.on('batch', (batch) => {
    for (const envelope of batch.events ?? []) {
      received.add(envelope.data.orderId);
      latencies.push(now() - envelope.data.sentAt);
    }
  });
  await new Promise((resolve, reject) => {
    socket.once('session', resolve);
    socket.once('connect_error', reject);
  });
  await socket.timeout(5000).emitWithAck('subscribe', { channel: 'branch:c1' });
  let sent = 0;
  let refused = 0;
  const startedAt = now();
  const publisher = setInterval(() => {
    // Event i is due at startedAt + i/perSecond, and stamped with that time (no coordinated omission).
    const due = Math.floor(((now() - startedAt) * perSecond) / 1000) + 1;
    for (; sent < due; sent++) {
      const data = { orderId: `c${sent}`, sentAt: startedAt + (sent * 1000) / perSecond };
      const body = JSON.stringify({ namespace: 'orders', channel: 'branch:c1', event: 'order:updated', data });
      const t0 = now();
      void request(`${url}/v1/publish`, { method: 'POST', token: publishToken, body }).then((status) => {
        roundTrips.push(now() - t0);
        if (status !== 202) refused += 1;
      });
    }
  }, 5);
  const prober = setInterval(() => {
    const begun = now();
    void request(`${url}/health/live`).then(() => live.push(now() - begun));
  }, 50);
  run = { socket, latencies, live, roundTrips, received, publisher, prober, sent: () => sent, refused: () => refused };
}

async function stop() {
  clearInterval(run.publisher);
  clearInterval(run.prober);
  // Whatever was published is given a moment to arrive; what does not is reported as missing.
  const deadline = now() + 3000;
  while (run.received.size < run.sent() - run.refused() && now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  run.socket.close();
  const result = {
    deliver: quantiles(run.latencies),
    live: quantiles(run.live),
    sent: run.sent(),
    refused: run.refused(),
    missing: run.sent() - run.refused() - run.received.size,
    publishRoundTrip: quantiles(run.roundTrips),
  };
  run = undefined;
  return result;
}

process.on('message', async (message) => {
  try {
    if (message.cmd === 'start') {
      await start(message);
      process.send({ cmd: 'started' });
    } else if (message.cmd === 'stop') {
      process.send({ cmd: 'stopped', ...(await stop()) });
    }
  } catch (error) {
    process.send({ cmd: message.cmd === 'start' ? 'started' : 'stopped', error: String(error?.stack ?? error) });
  }
});
process.send({ cmd: 'ready' });
