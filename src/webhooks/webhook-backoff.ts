/**
 * Delay before the send after failed attempt number `attempt` (1 = the first send failed):
 * base, doubling per attempt, capped, then spread by ±20 % so that the retries of a burst of
 * events (a Redis restart resets many channels at once) do not hit the receiver in lockstep.
 */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exponential = baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30);
  const capped = Math.min(exponential, maxMs);
  return Math.max(1, Math.round(capped * (0.8 + 0.4 * random())));
}
