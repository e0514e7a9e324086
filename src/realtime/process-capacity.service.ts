import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config';
import { MetricsService } from '../metrics/metrics.service';
import { ConnectionMonitor } from './connection-monitor.service';
import { sessionHeadroom } from './engine-admission.service';

/**
 * MAX_CONNECTIONS: how many clients this process serves. A client is an Engine.IO session (one per
 * Socket.IO client, whatever namespaces it joins) or a plain-transport stream. At the cap the
 * process reports not-ready, so balancers route new clients to other processes, and refuses new
 * ones: with a typed TOO_MANY_CONNECTIONS at the namespace for the first `headroom` past it (so a
 * client knows why), and with a cheap HTTP 403 at the Engine.IO handshake beyond that (a storm).
 */
@Injectable()
export class ProcessCapacity {
  private streams = 0;
  readonly max: number;
  private readonly hardCap: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly monitor: ConnectionMonitor,
    metrics: MetricsService,
  ) {
    this.max = config.limits.maxConnections;
    this.hardCap = this.max === 0 ? 0 : this.max + sessionHeadroom(this.max);
    metrics.provide({ capacity: () => ({ connections: this.connections, max: this.max }) });
  }

  /** Engine.IO sessions and streams open on this process now. */
  get connections(): number {
    return this.monitor.sessionCount + this.streams;
  }

  /** At or past the cap: readiness is down. */
  get full(): boolean {
    return this.max > 0 && this.connections >= this.max;
  }

  /** A new Engine.IO session would pass the cap and its headroom: refuse it before it exists. */
  get overHardCap(): boolean {
    return this.hardCap > 0 && this.connections >= this.hardCap;
  }

  /**
   * Whether the session a namespace connect belongs to is past the cap. The session is already
   * counted (Engine.IO created it), hence `>`; only its first namespace is ever refused.
   */
  get sessionOverCap(): boolean {
    return this.max > 0 && this.connections > this.max;
  }

  /** A stream about to open: throws nothing, answers whether there is room. */
  get roomForStream(): boolean {
    return this.max === 0 || this.connections < this.max;
  }

  streamOpened(): void {
    this.streams += 1;
  }

  streamClosed(): void {
    this.streams -= 1;
  }
}
