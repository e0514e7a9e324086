/**
 * One socket's message budget, decided synchronously with two counters: `perSecond` messages per
 * fixed one-second window, and when those are spent, `burst` more per fixed ten-second window
 * (the semantics rate-limiter-flexible's BurstyRateLimiter gave this check before). It lives in
 * the socket's own state: no promise, no allocation and no shared map per message, so a flood
 * of refused messages costs a comparison each.
 */
export class SocketBudget {
  private windowStart = 0;
  private used = 0;
  private burstStart = 0;
  private burstUsed = 0;
  /** Messages refused in the current one-second window. */
  refusedInWindow = 0;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {}

  /** Takes one message from the budget; false when it is spent (then see `retryAfterMs`). */
  take(now: number): boolean {
    this.roll(now);
    if (this.used < this.perSecond) {
      this.used += 1;
      return true;
    }
    if (this.burst > 0) {
      if (now - this.burstStart >= 10_000) {
        this.burstStart = now;
        this.burstUsed = 0;
      }
      if (this.burstUsed < this.burst) {
        this.burstUsed += 1;
        return true;
      }
    }
    this.refusedInWindow += 1;
    return false;
  }

  /** Counts a message refused for another reason (the user's shared budget) in this window. */
  noteRefused(now: number): void {
    this.roll(now);
    this.refusedInWindow += 1;
  }

  private roll(now: number): void {
    if (now - this.windowStart < 1000) return;
    this.windowStart = now;
    this.used = 0;
    this.refusedInWindow = 0;
  }

  /** Milliseconds until the one-second window resets, at least 1. */
  retryAfterMs(now: number): number {
    return Math.max(1, this.windowStart + 1000 - now);
  }
}
