// Preloaded (node --expose-gc --import) into every server arm by bench/run.mjs: the memory scenario asks
// for a full GC over IPC before reading RSS, so garbage does not count as per-connection memory;
// the churn scenario asks for the heap in use after a full GC.
process.on('message', (message) => {
  if (typeof globalThis.gc !== 'function') return;
  if (message === 'bench:gc') {
    globalThis.gc();
    globalThis.gc();
    process.send('bench:gc-done');
  } else if (message === 'bench:heap') {
    globalThis.gc();
    globalThis.gc();
    process.send({ heapUsed: process.memoryUsage().heapUsed });
  }
});
