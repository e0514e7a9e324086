// Process plumbing for the bench: free loopback ports, CPU-pinned children with IPC, clean stops,
// RSS, and the contamination check (CPU used by processes that are not ours, and hypervisor steal).
import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `args` pinned to `cpu`, with an IPC channel; resolves once its output matches `ready`
 * (or at once when `ready` is null). Output is always drained: a full pipe blocks the server.
 */
export function pinned(cpu, args, { cwd, env = {}, ready = null }) {
  const child = spawn('taskset', ['-c', String(cpu), ...args], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  const waiters = [];
  // BENCH_OUTPUT_DIR=<dir>: every process's whole output in <dir>/<pid>.log (with
  // BENCH_NODE_ARGS=--trace-gc, for instance), where the bench keeps only its last 4,000 characters.
  const log = process.env.BENCH_OUTPUT_DIR ? createWriteStream(join(process.env.BENCH_OUTPUT_DIR, `${child.pid}.log`)) : undefined;
  const onData = (chunk) => {
    log?.write(chunk);
    output = (output + chunk.toString()).slice(-4000);
    for (const check of [...waiters]) check();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  child.output = () => output;
  if (ready === null) return Promise.resolve(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start: ${args.join(' ')}\n${output}`)), 60_000);
    waiters.push(() => {
      if (!ready.test(output)) return;
      clearTimeout(timer);
      waiters.length = 0;
      resolve(child);
    });
    child.once('exit', () => reject(new Error(`exited: ${output}`)));
  });
}

/** SIGTERM (a CPU profile is written on a clean exit), SIGKILL after 10 s. */
export function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Sends `message` over IPC and resolves with the first reply for which `match` holds. */
export function ask(child, message, match, timeoutMs = 120_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', handler);
      reject(new Error(`no reply to ${JSON.stringify(message).slice(0, 80)}`));
    }, timeoutMs);
    const handler = (reply) => {
      if (!match(reply)) return;
      clearTimeout(timer);
      child.off('message', handler);
      resolve(reply);
    };
    child.on('message', handler);
    if (message !== undefined) child.send(message);
  });
}

export function rssKb(pid) {
  const match = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) : NaN;
}

/** utime + stime of one process, in ms (clock ticks of 1/100 s). */
export function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Write-type system calls (write, writev, sendmsg…) a process has made so far, from /proc/<pid>/io. */
export function writeCalls(pid) {
  return Number(/^syscw: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? NaN);
}

/**
 * What a process does while nobody asks it anything: CPU (ms, from the scheduler's exact runtime,
 * not ticks) and voluntary context switches (its wake-ups), summed over its threads, over `ms`.
 */
export async function idleCost(pid, ms) {
  const read = () => {
    let runtimeNs = 0;
    let wakeUps = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        runtimeNs += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
        wakeUps += Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8'))?.[1] ?? 0);
      } catch {
        // The thread ended between readdir and read.
      }
    }
    return { runtimeNs, wakeUps };
  };
  const before = read();
  await sleep(ms);
  const after = read();
  const seconds = ms / 1000;
  return {
    cpuMsPerSecond: (after.runtimeNs - before.runtimeNs) / 1e6 / seconds,
    wakeUpsPerSecond: (after.wakeUps - before.wakeUps) / seconds,
  };
}

/** utime + stime of every process, in clock ticks (1/100 s), skipping ones that vanish mid-read. */
function cpuByPid() {
  const ticks = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]));
    } catch {
      // The process ended between readdir and read.
    }
  }
  return ticks;
}

/** Kernel threads (softirq work for loopback, for instance) serve our traffic; they are not a neighbour. */
function kernelThread(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`).length === 0;
  } catch {
    return true;
  }
}

function stealTicks() {
  return readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .filter((line) => /^cpu\d/.test(line))
    .reduce((sum, line) => sum + Number(line.split(/\s+/)[8]), 0);
}

/**
 * Measures, over one step, the CPU that processes outside `ours()` used and the hypervisor's
 * steal, each as a fraction of one core. A step is retried when either is above 25 %.
 */
export function contamination(ours) {
  const started = performance.now();
  const before = cpuByPid();
  const steal = stealTicks();
  return () => {
    const seconds = (performance.now() - started) / 1000;
    const mine = ours();
    let foreign = 0;
    for (const [pid, ticks] of cpuByPid()) {
      const used = ticks - (before.get(pid) ?? 0);
      if (used <= 0 || mine.has(pid) || pid === process.pid || kernelThread(pid)) continue;
      foreign += used;
    }
    return { foreignCore: foreign / 100 / seconds, stealCore: (stealTicks() - steal) / 100 / seconds };
  };
}
