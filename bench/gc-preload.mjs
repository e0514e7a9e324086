// Preloaded (node --expose-gc --import) into every server arm by bench/run.mjs: the memory scenario asks
// for a full GC over IPC before reading RSS, so garbage does not count as per-connection memory.
process.on('message', (message) => {
  if (message !== 'bench:gc' || typeof globalThis.gc !== 'function') return;
  globalThis.gc();
  globalThis.gc();
  process.send('bench:gc-done');
});
