// Attacker process for the hostile scenarios (bench/hostile.mjs): speaks raw HTTP and raw
// Engine.IO v4 / Socket.IO v5 over `ws`, so the attack costs the server, not this process.
// Driven over IPC: { cmd, url, ... } -> { cmd, ...counts }. Storms run until { cmd: 'stop' }.
// Every loop is bounded in count and in time.
import http from 'node:http';
import WebSocket from 'ws';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
let stopped = false;

/** A raw socket to /orders (or `namespace`); resolves with how it ended: connected, refused, closed. */
function engineSocket(url, { token, namespace = '/orders', localAddress, connect = true, onOpen } = {}) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`, {
      perMessageDeflate: false,
      ...(localAddress ? { localAddress } : {}),
    });
    const done = (outcome) => {
      resolve({ outcome, ws });
    };
    ws.on('error', () => done('error'));
    ws.on('unexpected-response', (_request, response) => {
      response.resume();
      done(`http-${response.statusCode}`);
    });
    ws.on('close', () => done('closed'));
    ws.on('message', (raw) => {
      const frame = raw.toString();
      if (frame === '2') return ws.send('3');
      if (frame.startsWith('0{')) {
        onOpen?.(ws);
        if (connect) ws.send(`40${namespace},${JSON.stringify({ token })}`);
        else done('open');
        return;
      }
      if (frame.startsWith(`40${namespace},`)) return done('connected');
      if (frame.startsWith(`44${namespace},`)) {
        const code = /"code":"([A-Z_]+)"/.exec(frame)?.[1] ?? 'refused';
        done(code);
      }
    });
  });
}

function tally(counts, key) {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** Nested-array bodies sent to POST /v1/publish, one after another for `ms` (at most `count`); counts the statuses. */
async function nestedBodies({ url, token, count, bytes, ms }) {
  const body = Buffer.concat([Buffer.alloc(bytes / 2, '['), Buffer.alloc(bytes / 2, ']')]);
  const statuses = {};
  const started = Date.now();
  for (let i = 0; i < count && !stopped && Date.now() - started < ms; i++) {
    const status = await new Promise((resolve) => {
      const request = http.request(`${url}/v1/publish`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': body.length,
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      });
      request.on('response', (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode));
      });
      request.on('error', () => resolve('error'));
      request.end(body);
    });
    tally(statuses, status);
  }
  return { statuses };
}

/** Keeps `inFlight` connection attempts going from one IP, as fast as they are refused. */
async function connectionStorm({ url, token, inFlight, ms, localAddress }) {
  const outcomes = {};
  const held = [];
  const until = Date.now() + ms;
  const worker = async () => {
    while (!stopped && Date.now() < until) {
      const { outcome, ws } = await engineSocket(url, { token, localAddress });
      tally(outcomes, outcome);
      if (outcome === 'connected') held.push(ws);
      else ws.terminate();
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  for (const ws of held) ws.terminate();
  return { outcomes };
}

/** Opens `count` Engine.IO sessions that never join a namespace, reopening those the server drops. */
async function lurkers({ url, count, ms, localAddress }) {
  const outcomes = {};
  const open = new Set();
  const until = Date.now() + ms;
  const worker = async () => {
    while (!stopped && Date.now() < until) {
      const { outcome, ws } = await engineSocket(url, { connect: false, localAddress });
      tally(outcomes, outcome);
      if (outcome !== 'open') {
        ws.terminate();
        await sleep(10);
        continue;
      }
      open.add(ws);
      await new Promise((resolve) => {
        ws.once('close', resolve);
        setTimeout(resolve, Math.max(0, until - Date.now())).unref();
      });
      open.delete(ws);
      ws.terminate();
    }
  };
  await Promise.all(Array.from({ length: count }, worker));
  return { outcomes, stillOpen: open.size };
}

/**
 * One authenticated socket sending `burst` messages at once; as soon as the server ends it (or
 * after a second), it is dropped and a new one bursts again, for `ms`.
 */
async function messageBursts({ url, token, burst, ms }) {
  const until = Date.now() + ms;
  let bursts = 0;
  let answered = 0;
  while (!stopped && Date.now() < until) {
    const { outcome, ws } = await engineSocket(url, { token });
    if (outcome !== 'connected') {
      ws.terminate();
      await sleep(50);
      continue;
    }
    bursts += 1;
    const frame = (i) => `42/orders,${i}["subscribe",{"channel":"branch:b1"}]`;
    await new Promise((resolve) => {
      ws.on('message', (raw) => {
        const text = raw.toString();
        if (text.startsWith('43/orders,')) answered += 1;
        if (text.includes('session:ended')) resolve();
      });
      ws.once('close', resolve);
      setTimeout(resolve, Math.min(1000, Math.max(0, until - Date.now()))).unref();
      for (let i = 0; i < burst; i++) ws.send(frame(i));
    });
    ws.terminate();
  }
  return { bursts, answered };
}

/** `count` sockets, `concurrency` at a time: connect, subscribe to `<prefix><i>`, disconnect. */
async function churnSockets({ url, token, count, concurrency, prefix }) {
  let next = 0;
  let subscribed = 0;
  const outcomes = {};
  const started = Date.now();
  const worker = async () => {
    while (next < count && Date.now() - started < 600_000) {
      const i = next++;
      const { outcome, ws } = await engineSocket(url, { token });
      tally(outcomes, outcome);
      if (outcome === 'connected') {
        await new Promise((resolve) => {
          ws.on('message', (raw) => {
            if (raw.toString().startsWith('43/orders,')) resolve();
          });
          ws.send(`42/orders,0["subscribe",{"channel":"${prefix}${i}"}]`);
          setTimeout(resolve, 5000).unref();
        });
        subscribed += 1;
      }
      ws.terminate();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { subscribed, outcomes, ms: Date.now() - started };
}

/** One socket subscribing to `count` distinct channels, one at a time, leaving each at once. */
async function churnSubscriptions({ url, token, count, prefix }) {
  const { outcome, ws } = await engineSocket(url, { token });
  if (outcome !== 'connected') return { subscribed: 0, outcome };
  const waiting = new Map();
  ws.on('message', (raw) => {
    const frame = raw.toString();
    const match = /^43\/orders,(\d+)/.exec(frame);
    if (match) waiting.get(Number(match[1]))?.(frame);
  });
  const request = (id, event, channel) =>
    new Promise((resolve) => {
      waiting.set(id, resolve);
      ws.send(`42/orders,${id}["${event}",{"channel":"${channel}"}]`);
      setTimeout(() => resolve(''), 5000).unref();
    });
  let subscribed = 0;
  const started = Date.now();
  for (let i = 0; i < count && Date.now() - started < 600_000; i++) {
    if ((await request(2 * i, 'subscribe', `${prefix}${i}`)).includes('"ok":true')) subscribed += 1;
    await request(2 * i + 1, 'unsubscribe', `${prefix}${i}`);
  }
  ws.terminate();
  return { subscribed, ms: Date.now() - started };
}

const COMMANDS = {
  'nested-bodies': nestedBodies,
  'connection-storm': connectionStorm,
  lurkers,
  'message-bursts': messageBursts,
  'churn-sockets': churnSockets,
  'churn-subscriptions': churnSubscriptions,
};

process.on('message', async (message) => {
  if (message.cmd === 'stop') {
    stopped = true;
    return;
  }
  const command = COMMANDS[message.cmd];
  if (!command) return;
  stopped = false;
  try {
    process.send({ cmd: message.cmd, ...(await command(message)) });
  } catch (error) {
    process.send({ cmd: message.cmd, error: String(error?.stack ?? error) });
  }
});
process.send({ cmd: 'ready' });
