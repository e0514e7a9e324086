#!/usr/bin/env node
// Full-GC time with a full memory-engine history: 100 channels x HISTORY_SIZE 1,000 events of the
// bench's payload (issue 14). A diagnostic, not part of `npm run bench`; run it pinned, with the
// workers' flags, against one build or two:
//   npm run build && taskset -c 0 node --expose-gc --no-concurrent-marking bench/history-gc.mjs [dist ...]
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const require = createRequire(import.meta.url);
const PAD = 'x'.repeat(120);
const CHANNELS = 100;
const HISTORY = 1000;

async function measure(dist) {
  const { MemoryEngine } = require(resolve(dist, 'bus/memory.engine.js'));
  const engine = new MemoryEngine({
    history: { size: HISTORY, ttlSeconds: 86_400, positionTtlSeconds: 86_400 },
    idempotencyTtlSeconds: 60,
  });
  const started = performance.now();
  for (let round = 0; round < HISTORY; round++) {
    const groups = [];
    for (let c = 0; c < CHANNELS; c++) {
      // The data as the publish API hands it over: parsed from a request body.
      const body = JSON.parse(JSON.stringify({ orderId: `o${round}`, sentAt: Date.now() + round / 3, pad: PAD }));
      groups.push({
        key: `acme/orders/branch:b${c}`,
        drafts: [{ id: randomUUID(), channel: `branch:b${c}`, event: 'order:updated', data: body, ts: Date.now() }],
      });
    }
    await engine.publishMany(groups);
  }
  const publishMs = performance.now() - started;
  globalThis.gc();
  const gcMs = [];
  for (let i = 0; i < 7; i++) {
    const at = performance.now();
    globalThis.gc();
    gcMs.push(performance.now() - at);
  }
  gcMs.sort((a, b) => a - b);
  const readAt = performance.now();
  for (let c = 0; c < CHANNELS; c++) await engine.read(`acme/orders/branch:b${c}`, HISTORY - 100);
  const readMs = performance.now() - readAt;
  const heapMb = process.memoryUsage().heapUsed / 1e6;
  process.stdout.write(
    `${dist}: ${engine.stats.events} events in history, heap ${heapMb.toFixed(1)} MB; full GC median ${gcMs[3].toFixed(1)} ms ` +
      `(min ${gcMs[0].toFixed(1)}, max ${gcMs[6].toFixed(1)}); ${CHANNELS * HISTORY} publishes ${publishMs.toFixed(0)} ms; ` +
      `${CHANNELS} reads of 100 events ${readMs.toFixed(1)} ms\n`,
  );
  await engine.close();
}

if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');
for (const dist of process.argv.slice(2).length ? process.argv.slice(2) : ['dist']) await measure(dist);
