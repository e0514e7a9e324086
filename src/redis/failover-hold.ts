import type { RedisClient } from './redis-connections.service';

/** The part of SentinelWatch a hold listens to. */
export interface FailoverSignals {
  on(event: 'starting' | 'aborted', listener: () => void): unknown;
  on(event: 'switched', listener: (master: string) => void): unknown;
}

/** Longest writes wait for a failover to finish; then they go to whichever master answers. */
export const FAILOVER_HOLD_MS = 15_000;

/**
 * "Do not write now": set when the sentinels start promoting a replica, cleared once `client`
 * (reconnected by ioredis after `+switch-master`) answers ROLE as master, when the attempt is
 * aborted, or after FAILOVER_HOLD_MS. Anything written to the old master in between would be
 * gone once it rejoins as a replica (docs/architecture.md, "Sentinel failovers").
 */
export class FailoverHold {
  private state: { switched: boolean; timer: NodeJS.Timeout } | undefined;
  private closed = false;

  constructor(
    signals: FailoverSignals,
    private readonly client: RedisClient,
    private readonly listener: { held?(): void; released?(): void } = {},
  ) {
    signals.on('starting', () => this.hold());
    signals.on('switched', () => {
      if (!this.state) return;
      this.state.switched = true;
      void this.releaseIfMaster();
    });
    signals.on('aborted', () => this.release());
    client.on('ready', () => {
      if (this.state?.switched) void this.releaseIfMaster();
    });
  }

  get holding(): boolean {
    return this.state !== undefined;
  }

  close(): void {
    this.closed = true;
    if (this.state) clearTimeout(this.state.timer);
    this.state = undefined;
  }

  private hold(): void {
    if (this.state || this.closed) return;
    const timer = setTimeout(() => this.release(), FAILOVER_HOLD_MS);
    timer.unref();
    this.state = { switched: false, timer };
    this.listener.held?.();
  }

  private async releaseIfMaster(): Promise<void> {
    if (!this.state?.switched || this.client.status !== 'ready') return;
    try {
      const [role] = (await this.client.call('ROLE')) as [string];
      // Still the old master (being demoted) or a replica: the next reconnect checks again.
      if (role === 'master') this.release();
    } catch {
      // Not answering yet: the next 'ready' checks again; the hold's timer bounds the wait.
    }
  }

  private release(): void {
    if (!this.state) return;
    clearTimeout(this.state.timer);
    this.state = undefined;
    this.listener.released?.();
  }
}
