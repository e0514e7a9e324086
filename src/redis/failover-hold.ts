import { isIP } from 'node:net';
import { Logger } from '@nestjs/common';
import type { RedisClient } from './redis-client';

/** The part of SentinelWatch a hold listens to. */
export interface FailoverSignals {
  on(event: 'starting' | 'aborted', listener: () => void): unknown;
  on(event: 'switched', listener: (master: string) => void): unknown;
}

/** Longest writes wait for a failover to finish; then they go to whichever master answers. */
export const FAILOVER_HOLD_MS = 15_000;

/** After the switch, how soon a check that could not confirm the new master is tried again. */
export const RECHECK_MS = 200;

interface Held {
  /** The new master as the sentinels announced it ("ip:port"), once they did. */
  master: string | undefined;
  readonly timer: NodeJS.Timeout;
  readonly since: number;
  recheck: NodeJS.Timeout | undefined;
}

/**
 * "Do not write now": set when the sentinels start promoting a replica, cleared once `client`
 * (reconnected by ioredis after `+switch-master`) is connected to the announced master and it
 * answers ROLE as master, when the attempt is aborted, or after FAILOVER_HOLD_MS. Anything
 * written to the old master in between would be gone once it rejoins as a replica
 * (docs/architecture.md, "Sentinel failovers").
 */
export class FailoverHold {
  private readonly logger = new Logger('FailoverHold');
  private state: Held | undefined;
  private checking = false;
  private closed = false;

  constructor(
    signals: FailoverSignals,
    private readonly client: RedisClient,
    private readonly listener: { held?(): void; released?(): void } = {},
    /** What is held, for the log lines ("publishes", "state writes"). */
    private readonly what = 'writes',
  ) {
    signals.on('starting', () => this.hold());
    signals.on('switched', (master) => {
      if (!this.state) return;
      this.state.master = master;
      void this.releaseIfMaster();
    });
    signals.on('aborted', () => this.release('the failover was aborted'));
    client.on('ready', () => {
      if (this.state?.master !== undefined) void this.releaseIfMaster();
    });
  }

  get holding(): boolean {
    return this.state !== undefined;
  }

  close(): void {
    this.closed = true;
    if (this.state) this.clear(this.state);
    this.state = undefined;
  }

  private hold(): void {
    if (this.state || this.closed) return;
    const timer = setTimeout(() => this.release(`no new master answered within ${FAILOVER_HOLD_MS} ms`), FAILOVER_HOLD_MS);
    timer.unref();
    this.state = { master: undefined, timer, since: Date.now(), recheck: undefined };
    this.logger.warn(`a failover is starting: ${this.what} wait for the new master`);
    this.listener.held?.();
  }

  /**
   * Releases once the client is on the announced master and it answers as one. A check that
   * cannot tell yet (not connected, still on the old master, ROLE failed or timed out) is tried
   * again shortly: waiting for the next reconnect alone would hold writes until the timeout when
   * the connection is already fine and only one ROLE was lost.
   */
  private async releaseIfMaster(): Promise<void> {
    const state = this.state;
    if (state?.master === undefined || this.checking) return;
    this.checking = true;
    let verdict: string;
    try {
      verdict = await this.check(state.master);
    } catch (error) {
      verdict = `ROLE failed: ${(error as Error).message}`;
    } finally {
      this.checking = false;
    }
    if (this.state !== state) return;
    if (verdict === 'master') {
      this.release('the new master answers');
      return;
    }
    this.logger.debug(`not released yet: ${verdict}`);
    clearTimeout(state.recheck);
    state.recheck = setTimeout(() => void this.releaseIfMaster(), RECHECK_MS);
    state.recheck.unref();
  }

  /** 'master' when the client is on `master` and it says so; otherwise why not. */
  private async check(master: string): Promise<string> {
    if (this.client.status !== 'ready') return `the connection is ${this.client.status}`;
    const at = remoteOf(this.client);
    // A graceful failover leaves the old master up (and answering "master") until the sentinels
    // demote it; ioredis moves the client away on +switch-master, but maybe after this check.
    if (at !== undefined && isIP(master.slice(0, master.lastIndexOf(':'))) !== 0 && at !== master) {
      return `still connected to ${at}, not ${master}`;
    }
    const [role] = (await this.client.call('ROLE')) as [string];
    return role === 'master' ? 'master' : `connected to a ${role}`;
  }

  private release(reason: string): void {
    const state = this.state;
    if (!state) return;
    this.clear(state);
    const log = `${this.what} go out again after ${Date.now() - state.since} ms: ${reason}`;
    if (reason.startsWith('no new master')) this.logger.error(log);
    else this.logger.warn(log);
    this.state = undefined;
    this.listener.released?.();
  }

  private clear(state: Held): void {
    clearTimeout(state.timer);
    clearTimeout(state.recheck);
  }
}

/** "ip:port" of the server a standalone client's socket is connected to, when it is. */
function remoteOf(client: RedisClient): string | undefined {
  const stream = (client as { stream?: { remoteAddress?: string; remotePort?: number } }).stream;
  if (stream?.remoteAddress === undefined || stream.remotePort === undefined) return undefined;
  const address = stream.remoteAddress.startsWith('::ffff:') ? stream.remoteAddress.slice(7) : stream.remoteAddress;
  return `${address}:${stream.remotePort}`;
}
