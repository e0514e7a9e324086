/** A loop a test starts in the background (publishing traffic) and must stop. */
export interface BackgroundLoop {
  stop(): Promise<void>;
}

const running = new Set<BackgroundLoop>();

/** Called by a loop when it starts; the faults project stops every tracked loop after each test. */
export function track(loop: BackgroundLoop): void {
  running.add(loop);
}

export function untrack(loop: BackgroundLoop): void {
  running.delete(loop);
}

/**
 * Stops what a test left running. A test that fails between starting traffic and stopping it
 * would otherwise leave the loop publishing for up to an hour, and Jest waiting for it (a CI
 * rehearsal hung after two failures that way).
 */
export async function stopAllLoops(): Promise<void> {
  const loops = [...running];
  running.clear();
  await Promise.all(loops.map((loop) => loop.stop()));
}
