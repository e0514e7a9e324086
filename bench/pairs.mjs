// Interleaved pairs (issue 14): the key ratios measured round by round as bare, Switchboard
// (memory), Switchboard (Redis), bare again, each on a fresh process, so that a slow minute of the
// machine hits both sides of a ratio. The second bare run is the A/A pair: a ratio means something
// only where it sits further from 1 than bare against itself does. Each figure is reported as
// min / median / max over the rounds.
import { fixed, spread } from './lib/stats.mjs';
import { idleCost, stop } from './lib/processes.mjs';
import { Scenarios } from './scenarios.mjs';

/** How long an arm is watched doing nothing (full runs only; --quick keeps within its two minutes). */
const IDLE_MS = 3000;

/** The fixed fan-out load of every pair: well below every arm's saturation, so it prices work, not queues. */
const FIXED_LOAD = { clients: 1000, rooms: 100, deliveries: 10_000 };

/**
 * `arms`: [[name, start]] in run order (bare first); `aa`: starts the A/A arm (bare again), or
 * undefined when bare is not run. Returns { rounds, samples: { [name]: figures[] } }.
 */
export async function runPairs(bench, arms, aa, { rounds, connections, stepMs, fixedLoad = true }) {
  const order = aa ? [...arms, ['bare A/A', aa]] : arms;
  const samples = Object.fromEntries(order.map(([name]) => [name, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const [name, start] of order) {
      if (round > 1 && bench.pastDeadline()) break;
      bench.log(`pairs round ${round}/${rounds}: ${name}`);
      samples[name].push(await measure(bench, name, start, { connections, stepMs, fixedLoad }));
    }
  }
  return { rounds, fixedLoad: FIXED_LOAD, samples };
}

async function measure(bench, name, start, { connections, stepMs, fixedLoad: withFixedLoad }) {
  const server = await start();
  const arm = { name: `${name} (pair)`, ...server };
  const scenarios = new Scenarios(bench, arm);
  try {
    // First, before any client: an idle node's own timers, each a wake-up that costs a VM more than its work.
    const idle = withFixedLoad ? await idleCost(arm.child.pid, IDLE_MS) : {};
    const publish = await scenarios.publishApi();
    const shake = await scenarios.handshakesAndMemory(connections);
    const { clients, rooms, deliveries } = FIXED_LOAD;
    // --quick leaves it out (its ladder runs the same path) to stay within its two minutes.
    const attempts = withFixedLoad ? (await scenarios.fanOut({ clients, rooms, steps: [deliveries], stepMs })).steps : [];
    // A failed step is tried again (Scenarios.fanOut): the figures are the last try's; what was
    // delivered counts over every try, so that a loss in the first cannot hide behind the second.
    const step = attempts.at(-1) ?? {};
    return {
      publishSingle: publish.single,
      publishBatch: publish.batch,
      refused: publish.refused,
      handshakesPerSecond: shake.perSecond,
      handshakesFailed: shake.failed,
      rssPerConnectionKb: shake.rssPerConnectionKb,
      idleCpuMsPerSecond: idle.cpuMsPerSecond,
      idleWakeUpsPerSecond: idle.wakeUpsPerSecond,
      fixedLoad: {
        completion: attempts.length > 0 ? Math.min(...attempts.map((attempt) => attempt.completion)) : undefined,
        p99: step.p99,
        serverCpuUsPerDelivery: step.serverCpuUsPerDelivery,
        contaminated: step.contaminated,
      },
    };
  } finally {
    for (const helper of scenarios.helpers) helper.kill('SIGKILL');
    await stop(arm.child);
  }
}

const FIGURES = [
  ['publish API events/s, single', (f) => f.publishSingle, 0, '>= 0.33x memory'],
  ['publish API events/s, batches of 100', (f) => f.publishBatch, 0, '>= 0.5x memory'],
  ['handshakes/s (JWT verified)', (f) => f.handshakesPerSecond, 0, '>= 0.9x'],
  ['RSS KB per idle connection', (f) => f.rssPerConnectionKb, 1, '<= 1.3x'],
  ['idle: CPU ms per second, no clients', (f) => f.idleCpuMsPerSecond, 1, ''],
  ['idle: wake-ups per second, no clients', (f) => f.idleWakeUpsPerSecond, 1, ''],
  [`server CPU us per delivery, fixed load`, (f) => f.fixedLoad.serverCpuUsPerDelivery, 1, ''],
  [`p99 ms at the fixed load`, (f) => f.fixedLoad.p99, 1, ''],
];

const bar = (s, digits) => (s.n === 0 ? 'n/a' : `${fixed(s.min, digits)} / ${fixed(s.median, digits)} / ${fixed(s.max, digits)}`);

/** Ratios round by round (each against the same round's bare run), as min / median / max. */
export function pairRatios(pairs) {
  const bare = pairs.samples.bare ?? [];
  const ratio = (name, get, over = bare) => (pairs.samples[name] ?? []).map((figures, i) => (over[i] ? get(figures) / get(over[i]) : NaN));
  const out = {};
  for (const [label, get] of FIGURES) {
    out[label] = {
      aa: spread(ratio('bare A/A', get)),
      memory: spread(ratio('switchboard-memory', get)),
      redis: spread(ratio('switchboard-redis', get)),
      values: Object.fromEntries(Object.entries(pairs.samples).map(([name, list]) => [name, spread(list.map(get))])),
    };
  }
  out['Redis batch ÷ memory batch'] = {
    redisOverMemory: spread(ratio('switchboard-redis', (f) => f.publishBatch, pairs.samples['switchboard-memory'] ?? [])),
  };
  return out;
}

/** Table rows: per figure, the A/A spread, then each Switchboard arm's values and ratio spread. */
export function pairsReport(pairs) {
  const ratios = pairRatios(pairs);
  const rows = [
    [`figure (${pairs.rounds} rounds; min / median / max)`, 'bare', 'A/A ratio', 'sb memory', 'ratio', 'sb redis', 'ratio', 'target'],
  ];
  for (const [label, , digits, target] of FIGURES) {
    const r = ratios[label];
    rows.push([
      label,
      bar(r.values.bare ?? spread([]), digits),
      bar(r.aa, 2),
      bar(r.values['switchboard-memory'] ?? spread([]), digits),
      bar(r.memory, 2),
      bar(r.values['switchboard-redis'] ?? spread([]), digits),
      bar(r.redis, 2),
      target,
    ]);
  }
  rows.push(['Redis batch ÷ memory batch', '', '', '', '', '', bar(ratios['Redis batch ÷ memory batch'].redisOverMemory, 2), '>= 0.4x']);
  return rows;
}
