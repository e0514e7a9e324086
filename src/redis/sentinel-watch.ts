import { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import type { RedisConfig } from '../config';

/** What a failover looks like from here: it starts, then the master moves or the attempt ends. */
export interface FailoverEvents {
  /** A sentinel is about to promote a replica: writes to the current master may be lost from now. */
  starting: [];
  /** The sentinels name a new master. */
  switched: [master: string];
  /** The attempt ended without a switch; the current master stays. */
  aborted: [];
}

// The leader sentinel publishes this just before it sends REPLICAOF NO ONE to the chosen replica
// (sentinel.c, sentinelFailoverSelectSlave); everything the old master takes after that point is
// gone once it rejoins as a replica.
const STARTING = '+failover-state-send-slaveof-noone';
const SWITCHED = '+switch-master';
const ABORTED = ['-failover-abort-not-elected', '-failover-abort-no-good-slave', '-failover-abort-slave-timeout'];

/**
 * Follows the sentinels' event channels for our master, one small subscriber per sentinel (the
 * leader of a failover can be any of them). ioredis' own failover detector only hears
 * `+switch-master`, which comes after the promotion; the bus also needs the moment before it, to
 * stop writing to a master that is about to be demoted (docs/guarantees.md, Sentinel).
 */
export class SentinelWatch extends EventEmitter<FailoverEvents> {
  private readonly logger = new Logger('Sentinel');
  private readonly clients: Redis[] = [];
  /**
   * Masters the sentinels have moved away from ("ip:port"). Each sentinel is heard on its own
   * connection, so one sentinel's `+switch-master` can arrive before the leader's "starting" of
   * that same failover; a start for a master already replaced is stale, and holding writes for it
   * would last until the hold's timeout.
   */
  private readonly replaced = new Set<string>();

  constructor(private readonly redis: RedisConfig) {
    super();
  }

  start(): void {
    const { target } = this.redis;
    if (target.mode !== 'sentinel' || this.clients.length > 0) return;
    const options: RedisOptions = {
      ...(target.sentinelPassword !== undefined ? { password: target.sentinelPassword } : {}),
      ...(this.redis.tls ? { tls: this.redis.tls.ca !== undefined ? { ca: this.redis.tls.ca } : {} } : {}),
      connectTimeout: 5000,
      maxRetriesPerRequest: null,
      retryStrategy: (attempt) => Math.min(200 * attempt, 2000),
    };
    for (const { host, port } of target.sentinels) {
      const client = new Redis({ ...options, host, port, connectionName: 'switchboard:sentinel-watch' });
      client.on('error', (error: Error) => this.logger.debug(`sentinel ${host}:${port}: ${error.message}`));
      client.on('message', (channel: string, message: string) => this.onEvent(channel, message));
      void client.subscribe(STARTING, SWITCHED, ...ABORTED).catch(() => undefined);
      this.clients.push(client);
    }
  }

  close(): void {
    for (const client of this.clients.splice(0)) client.disconnect();
  }

  /** One sentinel event (public for its unit test; the subscribers call it). */
  onEvent(channel: string, message: string): void {
    const { masterName } = this.redis.target as { masterName: string };
    if (channel === SWITCHED) {
      // "<name> <old ip> <old port> <new ip> <new port>"
      const [name, oldIp, oldPort, ip, port] = message.split(' ');
      if (name !== masterName) return;
      this.replaced.add(`${oldIp}:${oldPort}`);
      this.replaced.delete(`${ip}:${port}`);
      this.logger.warn(`master ${name} is now ${ip}:${port}`);
      this.emit('switched', `${ip}:${port}`);
      return;
    }
    // "<type> <instance> <ip> <port> @ <master name> <master ip> <master port>"
    const [name, ip, port] = message.split(' @ ')[1]?.split(' ') ?? [];
    if (name !== masterName) return;
    if (channel === STARTING) {
      if (this.replaced.has(`${ip}:${port}`)) return; // that failover is over already

      this.logger.warn(`failover of ${masterName} starting: publishes wait in the outage queue until the new master answers`);
      this.emit('starting');
    } else {
      this.logger.warn(`failover of ${masterName} ended without a switch (${channel})`);
      this.emit('aborted');
    }
  }
}
