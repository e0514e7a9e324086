import { ClientErrorCode, SwitchboardError } from './errors.js';
import type { NamespaceHandle } from './namespace-handle.js';
import type { PresenceMember, PresenceMeta, PresenceStatus } from './types.js';

export interface PresenceProfile {
  readonly status: PresenceStatus;
  /** What the user looks at (≤ 256 characters); null clears it. */
  readonly view?: string | null;
  /** A flat object of strings, numbers, booleans and nulls (≤ 1 KB); null clears it. */
  readonly meta?: PresenceMeta | null;
}

/** Heartbeats are never closer than this, whatever the server's TTL. */
const MIN_HEARTBEAT_MS = 1_000;

/**
 * Presence that holds, written once: the profile given to `set()` is applied on every
 * connection (a reconnect, or another server after a drain, starts with no presence), and a
 * heartbeat goes out every half TTL (the TTL the server states in each heartbeat ack), so a
 * user who keeps a tab open is never expired for idling.
 */
export class PresenceKeeper {
  private profile: PresenceProfile | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private beats = 0;
  /** set() calls made before a session: answered by that session's update. */
  private readonly waiters: { resolve(): void; reject(error: unknown): void }[] = [];
  private readonly cleanups: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly handle: NamespaceHandle<'presence'>,
    private readonly report: (error: SwitchboardError) => void,
  ) {
    this.cleanups.push(handle.on('session', () => void this.onSession()));
    this.cleanups.push(
      handle.onState((change) => {
        if (change.state !== 'connected') this.stopHeartbeat();
        if (change.state === 'failed' || change.state === 'closed') this.rejectWaiters(change.error);
      }),
    );
  }

  /** Sets (and keeps) this user's status, view and meta; resolves once a connection applied it. */
  async set(profile: PresenceProfile): Promise<void> {
    this.profile = { ...this.profile, ...profile };
    // Not connected yet: the session's own update carries it (one update, not two).
    if (!this.handle.session) return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
    await this.handle.request('presence:update', this.profile);
    if (this.timer === undefined) void this.heartbeat();
  }

  /** Members of a channel this token may subscribe to. */
  async members(channel: string): Promise<readonly PresenceMember[]> {
    return (await this.handle.request('presence:list', { channel })).members;
  }

  /** Heartbeats acknowledged so far. */
  get heartbeats(): number {
    return this.beats;
  }

  close(): void {
    this.closed = true;
    this.stopHeartbeat();
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.rejectWaiters();
  }

  private async onSession(): Promise<void> {
    if (!this.profile) return;
    const waiters = this.waiters.splice(0);
    try {
      await this.handle.request('presence:update', this.profile);
      for (const waiter of waiters) waiter.resolve();
    } catch (error) {
      this.report(error as SwitchboardError);
      for (const waiter of waiters) waiter.reject(error);
    }
    void this.heartbeat();
  }

  private rejectWaiters(cause?: SwitchboardError): void {
    const error = cause ?? new SwitchboardError(ClientErrorCode.CLOSED, 'presence was closed');
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  private async heartbeat(): Promise<void> {
    this.stopHeartbeat();
    if (this.closed || !this.handle.session) return;
    let ttlSeconds: number;
    try {
      ttlSeconds = (await this.handle.request('presence:heartbeat', {})).ttlSeconds;
      this.beats += 1;
    } catch (error) {
      this.report(error as SwitchboardError);
      return; // the next session starts the heartbeat again
    }
    if (this.closed || !this.handle.session) return;
    this.timer = setTimeout(() => void this.heartbeat(), Math.max(MIN_HEARTBEAT_MS, (ttlSeconds * 1000) / 2));
  }

  private stopHeartbeat(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
