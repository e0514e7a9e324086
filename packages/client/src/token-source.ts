import { ClientErrorCode, SwitchboardError } from './errors.js';

export interface TokenOptions {
  /** A fixed token. It cannot be refreshed: when it expires, the client stops with AUTH_EXPIRED. */
  readonly token?: string;
  /** Called for a token before connecting, before the current one expires, and after the server refused one. */
  readonly getToken?: () => string | Promise<string>;
  /**
   * How long before `exp` to fetch a new token. Default 90 s: before the server's `auth:expiring`
   * notice (60 s before exp). Tokens shorter-lived than twice this are refreshed at half-life.
   */
  readonly refreshLeadSeconds?: number;
}

const RETRY_MS = 10_000;
/** A token this close to exp is not worth connecting with. */
const USABLE_MARGIN_MS = 5_000;

interface Claims {
  readonly exp?: number;
  readonly iat?: number;
}

/** Reads `exp`/`iat` without verifying (the server verifies); undefined when the token is not a JWT. */
export function readClaims(token: string): Claims {
  try {
    const part = token.split('.')[1];
    if (!part) return {};
    const base64 = part
      .replace(/-/g, '+')
      .replace(/_/g, '/')
      .padEnd(Math.ceil(part.length / 4) * 4, '=');
    const claims = JSON.parse(atob(base64)) as Record<string, unknown>;
    return {
      ...(typeof claims.exp === 'number' ? { exp: claims.exp * 1000 } : {}),
      ...(typeof claims.iat === 'number' ? { iat: claims.iat * 1000 } : {}),
    };
  } catch {
    return {};
  }
}

/**
 * The client's token, shared by its namespaces: fetched through getToken() when needed, refreshed
 * on a timer ahead of exp (on the server's clock, learnt from `session.serverTime`), and handed to
 * every listener so each connected namespace can send `auth:refresh` without reconnecting.
 */
export class TokenSource {
  private token: string | undefined;
  private pending: Promise<string> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** When the armed timer fires (server clock), to tell whether it comes before a server notice's deadline. */
  private timerDueAt: number | undefined;
  private lastNoticeRefresh = 0;
  private serverOffsetMs = 0;
  private closed = false;
  private readonly listeners = new Set<(token: string) => void>();
  private readonly leadMs: number;

  constructor(
    private readonly options: TokenOptions,
    private readonly report: (error: SwitchboardError) => void,
    private readonly random: () => number = Math.random,
  ) {
    if (!options.token && !options.getToken) throw new TypeError('createClient needs `token` or `getToken`');
    this.token = options.token;
    this.leadMs = Math.max(1, options.refreshLeadSeconds ?? 90) * 1000;
  }

  get canRefresh(): boolean {
    return this.options.getToken !== undefined;
  }

  /** The token to connect with. */
  async current(): Promise<string> {
    if (this.token !== undefined && (!this.canRefresh || !this.nearExpiry(this.token))) return this.token;
    return this.refresh();
  }

  /** The last token obtained, for the handshake's auth callback (current() has fetched it just before). */
  peek(): string | undefined {
    return this.token;
  }

  /** The server refused the token: the next current() fetches a new one. */
  invalidate(): void {
    if (this.canRefresh) this.token = undefined;
  }

  /** Server time minus local time, so exp is read on the server's clock. */
  setServerClock(serverTime: number): void {
    this.serverOffsetMs = serverTime - Date.now();
    if (this.token !== undefined) this.schedule(this.token);
  }

  /**
   * The server's `auth:expiring` for a token expiring at `expiresAt`. Usually the refresh timer is
   * already armed to fire before that (it aims ahead of the notice), or a newer token is in hand;
   * otherwise (an opaque token, a failed timer) refresh now, at most once per 10 s. Short-lived
   * tokens get the notice right after every refresh, so answering every one would loop.
   */
  onServerNotice(expiresAt: number): void {
    if (!this.canRefresh || this.closed) return;
    const exp = this.token !== undefined ? readClaims(this.token).exp : undefined;
    if (exp !== undefined && exp > expiresAt) return;
    if (this.timerDueAt !== undefined && this.timerDueAt < expiresAt - USABLE_MARGIN_MS) return;
    if (Date.now() - this.lastNoticeRefresh < RETRY_MS) return;
    this.lastNoticeRefresh = Date.now();
    void this.refresh().catch(() => undefined);
  }

  /** `listener` gets every new token; returns the function that removes it. */
  onToken(listener: (token: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Fetches a token now (one call at a time); a new one goes to every listener. */
  refresh(): Promise<string> {
    const getToken = this.options.getToken;
    if (!getToken) return Promise.resolve(this.options.token as string);
    if (this.pending) return this.pending;
    const attempt = this.fetch(getToken);
    this.pending = attempt;
    // Cleared after assignment: a getToken() that throws synchronously settles before it.
    attempt.then(
      () => this.clearPending(attempt),
      () => this.clearPending(attempt),
    );
    return attempt;
  }

  private clearPending(attempt: Promise<string>): void {
    if (this.pending === attempt) this.pending = undefined;
  }

  private async fetch(getToken: () => string | Promise<string>): Promise<string> {
    try {
      const token = await getToken();
      if (typeof token !== 'string' || token.length === 0) throw new Error('getToken() returned no token');
      const changed = token !== this.token;
      this.token = token;
      this.schedule(token, !changed);
      if (changed) for (const listener of [...this.listeners]) listener(token);
      return token;
    } catch (cause) {
      const error =
        cause instanceof SwitchboardError
          ? cause
          : new SwitchboardError(ClientErrorCode.TOKEN_UNAVAILABLE, `getToken() failed: ${(cause as Error)?.message ?? String(cause)}`);
      this.report(error);
      this.retryLater();
      throw error;
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.listeners.clear();
  }

  private serverNow(): number {
    return Date.now() + this.serverOffsetMs;
  }

  private nearExpiry(token: string): boolean {
    const { exp } = readClaims(token);
    return exp !== undefined && exp - this.serverNow() < USABLE_MARGIN_MS;
  }

  /**
   * Arms the refresh timer ahead of exp, with up to 20 % jitter so a fleet does not refresh in one
   * burst. An identity provider that handed back the same token is asked again later, not at once.
   */
  private schedule(token: string, unchanged = false): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDueAt = undefined;
    if (!this.canRefresh || this.closed) return;
    const { exp, iat } = readClaims(token);
    if (exp === undefined) return;
    const now = this.serverNow();
    const lifetime = exp - (iat ?? now);
    const lead = Math.min(this.leadMs, lifetime / 2);
    const delay = exp - lead - this.random() * lead * 0.2 - now;
    if (delay <= 0 && unchanged) this.retryLater();
    else this.arm(Math.max(0, delay));
  }

  /** A failed or unchanged refresh is tried again while the current token lasts. */
  private retryLater(): void {
    if (this.closed || !this.canRefresh) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.arm(RETRY_MS);
  }

  private arm(delayMs: number): void {
    this.timerDueAt = undefined;
    // setTimeout fires at once past 2^31-1 ms; a token that long-lived is re-armed on the next session.
    if (delayMs > 2_147_483_647) return;
    this.timerDueAt = this.serverNow() + delayMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerDueAt = undefined;
      void this.refresh().catch(() => undefined);
    }, delayMs);
    (this.timer as { unref?: () => void }).unref?.();
  }
}
