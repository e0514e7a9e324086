export interface BackoffOptions {
  /** Ceiling of the first retry's random delay. Default 500 ms. */
  readonly baseDelayMs?: number;
  /** Ceiling of any delay. Default 30 s. */
  readonly maxDelayMs?: number;
}

/**
 * Exponential backoff with full jitter: attempt n waits a uniform random time in
 * [0, min(max, base · 2ⁿ)]. Full jitter spreads a crowd of clients that lost the same server
 * over the whole window instead of stampeding its replacement in waves (AWS Architecture Blog,
 * "Exponential Backoff and Jitter").
 */
export class Backoff {
  private attempt = 0;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;

  constructor(
    options: BackoffOptions = {},
    private readonly random: () => number = Math.random,
  ) {
    this.baseDelayMs = Math.max(1, options.baseDelayMs ?? 500);
    this.maxDelayMs = Math.max(this.baseDelayMs, options.maxDelayMs ?? 30_000);
  }

  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next attempt; each call counts one more failure. */
  next(): number {
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(this.attempt, 30));
    this.attempt += 1;
    return Math.floor(this.random() * ceiling);
  }

  reset(): void {
    this.attempt = 0;
  }
}
