/**
 * Waits (bounded) for a condition only an external process can make true (a PM2 daemon, haproxy's
 * health checks): there is no event to await. A check that throws counts as not yet.
 */
export async function eventually(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const done = await Promise.resolve()
      .then(check)
      .catch(() => false);
    if (done) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
