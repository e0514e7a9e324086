/**
 * Node flags for a process that owns one core: a worker of the sticky cluster (one per core) or
 * one instance of PM2's cluster mode. By default V8 marks the old generation on helper threads;
 * when the worker's core is the only one it gets, those threads take it from the event loop for
 * 100–200 ms per marking, and every socket's events wait (issue 14: p99 of 160–320 ms at half of
 * bare Socket.IO's saturation, 12–18 ms without; docs/performance.md, "Twelfth session"). Without
 * concurrent marking V8 marks in small incremental steps on the main thread instead; scavenges
 * stay parallel. ecosystem.config.js repeats the list for PM2's cluster mode (a spec keeps the two
 * equal), and the bench runs every server arm, bare Socket.IO included, with it.
 */
export const WORKER_NODE_FLAGS: readonly string[] = ['--no-concurrent-marking'];

/** The primary's own Node flags plus the worker flags it does not already carry. */
export function workerExecArgv(parent: readonly string[]): string[] {
  return [...parent, ...WORKER_NODE_FLAGS.filter((flag) => !parent.includes(flag))];
}
