import { Logger } from '@nestjs/common';
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
  private readonly logger = new Logger('FailoverHold');
  private state: { switched: boolean; timer: NodeJS.Timeout; since: number } | undefined;
  private closed = false;

  constructor(
    signals: FailoverSignals,
    private readonly client: RedisClient,
    private readonly listener: { held?(): void; released?(): void } = {},
    /** What is held, for the log lines ("publishes", "state writes"). */
    private readonly what = 'writes',
  ) {
    signals.on('starting', () => this.hold());
    signals.on('switched', () => {
      if (!this.state) return;
      this.state.switched = true;
      void this.releaseIfMaster();
    });
    signals.on('aborted', () => this.release('the failover was aborted'));
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
    const timer = setTimeout(() => this.release(`no new master answered within ${FAILOVER_HOLD_MS} ms`), FAILOVER_HOLD_MS);
    timer.unref();
    this.state = { switched: false, timer, since: Date.now() };
    this.logger.warn(`a failover is starting: ${this.what} wait for the new master`);
    this.listener.held?.();
  }

  private async releaseIfMaster(): Promise<void> {
    if (!this.state?.switched || this.client.status !== 'ready') return;
    try {
      const [role] = (await this.client.call('ROLE')) as [string];
      // Still the old master (being demoted) or a replica: the next reconnect checks again.
      if (role === 'master') this.release('the new master answers');
      else this.logger.debug(`connected to a ${role}; waiting for the next reconnect`);
    } catch (error) {
      // Not answering yet: the next 'ready' checks again; the hold's timer bounds the wait.
      this.logger.debug(`ROLE failed: ${(error as Error).message}`);
    }
  }

  private release(reason: string): void {
    if (!this.state) return;
    clearTimeout(this.state.timer);
    const log = `${this.what} go out again after ${Date.now() - this.state.since} ms: ${reason}`;
    if (reason.startsWith('no new master')) this.logger.error(log);
    else this.logger.warn(log);
    this.state = undefined;
    this.listener.released?.();
  }
}
