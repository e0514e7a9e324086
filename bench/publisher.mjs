// Publisher process: drives an arm's HTTP publish API over keep-alive node:http (fetch costs
// several times more CPU per request and became the bottleneck before either server did).
// Driven over IPC by bench/run.mjs:
//   { cmd: 'rate' }  open loop: events at a fixed rate, each stamped with its *scheduled* time (no
//                    coordinated omission), sent every TICK_MS as one batch request;
//   { cmd: 'flood' } closed loop: as many single or batch publishes as the server accepts.
import { Buffer } from 'node:buffer';
import http from 'node:http';

const TICK_MS = 5;
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/**
 * One POST; resolves with the status, or 0 when the request failed at the socket (a keep-alive
 * connection the server closed as it was reused, for instance).
 */
function postOnce(url, token, path, body) {
  return new Promise((resolve) => {
    const target = new URL(path, url);
    const request = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode));
      },
    );
    request.on('error', (error) => {
      // Node's documented keep-alive race: the server closed an idle connection just as this
      // request was written on it, so the server never read the request. Sending it again on a
      // fresh connection cannot publish anything twice. Anything else counts as failed (0).
      if (request.reusedSocket && error.code === 'ECONNRESET') {
        reused += 1;
        resolve(postOnce(url, token, path, body));
      } else resolve(0);
    });
    request.end(body);
  });
}

/** Requests sent again after the keep-alive race above (reported, so that it is not invisible). */
let reused = 0;

/** Every status seen, by code, so that the correctness gate can say what refused a publish. */
const statuses = {};

async function post(url, token, path, body) {
  const status = await postOnce(url, token, path, body);
  statuses[status] = (statuses[status] ?? 0) + 1;
  return status;
}

const event = (channel, data) => ({ namespace: 'orders', channel, event: 'order:updated', data });
const PAD = 'x'.repeat(120);

/**
 * Open loop over `channels`, round robin; every event is counted accepted or failed. Events due
 * are sent every TICK_MS as one batch request, or with `single` each as its own request (the hot
 * channel layout: a service publishing events one by one).
 */
async function rate({ url, token, perSecond, ms, channels, single = false }) {
  const total = Math.round((perSecond * ms) / 1000);
  const start = now();
  let sent = 0;
  let accepted = 0;
  let failed = 0;
  const inflight = new Set();
  while (sent < total) {
    const due = Math.min(total, Math.floor(((now() - start) * perSecond) / 1000) + 1);
    if (due > sent) {
      const messages = [];
      for (; sent < due && messages.length < 500; sent++) {
        messages.push(
          event(channels[sent % channels.length], { orderId: `o${sent}`, sentAt: start + (sent * 1000) / perSecond, pad: PAD }),
        );
      }
      // One status per event: each request's own with `single`, the batch's for all of its events.
      const outcomes = single
        ? Promise.all(messages.map((message) => post(url, token, '/v1/publish', JSON.stringify(message))))
        : post(url, token, '/v1/publish/batch', JSON.stringify({ messages })).then((status) => messages.map(() => status));
      const request = outcomes.then((each) => {
        for (const status of each) {
          if (status >= 200 && status < 300) accepted += 1;
          else failed += 1;
        }
        inflight.delete(request);
      });
      inflight.add(request);
      if (inflight.size >= 64) await Promise.race(inflight);
    }
    await sleep(TICK_MS);
  }
  await Promise.all(inflight);
  return { accepted, failed, ms: now() - start, statuses: takeStatuses() };
}

/** Closed loop: `concurrency` requests always in flight for `ms`; accepted events per second. */
async function flood({ url, token, ms, batch, concurrency = 32, channels }) {
  const deadline = now() + ms;
  const start = now();
  let accepted = 0;
  let failed = 0;
  let counter = 0;
  const body = () => {
    const one = () => event(channels[counter % channels.length], { orderId: `f${counter++}`, pad: PAD });
    return batch ? JSON.stringify({ messages: Array.from({ length: batch }, one) }) : JSON.stringify(one());
  };
  const path = batch ? '/v1/publish/batch' : '/v1/publish';
  const size = batch || 1;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (now() < deadline) {
        const status = await post(url, token, path, body());
        if (status >= 200 && status < 300) accepted += size;
        else failed += size;
      }
    }),
  );
  return { accepted, failed, perSecond: accepted / ((now() - start) / 1000), statuses: takeStatuses() };
}

function takeStatuses() {
  const taken = { ...statuses, ...(reused > 0 ? { resentAfterKeepAliveRace: reused } : {}) };
  reused = 0;
  for (const key of Object.keys(statuses)) delete statuses[key];
  return taken;
}

process.on('message', async (message) => {
  const result = message.cmd === 'rate' ? await rate(message) : await flood(message);
  process.send({ cmd: message.cmd, ...result });
});
process.send({ cmd: 'ready' });
