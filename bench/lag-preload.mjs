// Diagnostic preload for a server arm: `BENCH_NODE_ARGS="--import ./bench/lag-preload.mjs"`.
// Every event-loop gap over 25 ms goes to stderr (kept whole with BENCH_OUTPUT_DIR) with the wall
// time, the monotonic time in µs (the clock of a --cpu-prof profile, to cut the profile at the gap),
// and the CPU the whole process used meanwhile. Process CPU close to the gap means some thread of
// ours ran: the main thread (a long task) or V8's GC helpers (then a CPU profile of the main thread
// shows few samples in that gap). Process CPU far below the gap means another process held the core.
// Issue 14 found the latency window's stalls this way: V8's concurrent marking on the server's core.
import { readFileSync } from 'node:fs';

const GAP_MS = 25;

/** Context switches of the whole process: nonvoluntary ones grow when the core is contended. */
function switches() {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const match = status.match(/\bvoluntary_ctxt_switches:\s+(\d+)\s+nonvoluntary_ctxt_switches:\s+(\d+)/);
    return match ? { voluntary: Number(match[1]), nonvoluntary: Number(match[2]) } : { voluntary: 0, nonvoluntary: 0 };
  } catch {
    return { voluntary: 0, nonvoluntary: 0 };
  }
}

let last = performance.now();
let cpu = process.cpuUsage();
let counted = switches();
setInterval(() => {
  const now = performance.now();
  const gap = now - last;
  const cpuNow = process.cpuUsage();
  const countedNow = switches();
  if (gap > GAP_MS) {
    const used = (cpuNow.user - cpu.user + cpuNow.system - cpu.system) / 1000;
    process.stderr.write(
      `LAG ${new Date().toISOString()} monotonicUs ${process.hrtime.bigint() / 1000n} gap ${gap.toFixed(0)} ms` +
        ` process cpu ${used.toFixed(0)} ms nonvoluntary ${countedNow.nonvoluntary - counted.nonvoluntary}` +
        ` voluntary ${countedNow.voluntary - counted.voluntary}\n`,
    );
  }
  last = now;
  cpu = cpuNow;
  counted = countedNow;
}, 5).unref();
