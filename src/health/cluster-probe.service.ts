import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { Envelope } from '../bus/envelope';
import { EventBus } from '../bus/event-bus.service';
import { NodeRegistry } from '../cluster/node-registry.service';
import { AppError, ErrorCode } from '../common/app.errors';

/** Every node listens here; `!` keeps it out of every tenant's channel space. */
export const CLUSTER_PROBE_KEY = '!health/cluster';

export interface ProbeReport {
  readonly roundTripMs: number;
  /** Instances alive by their heartbeats, this one included. */
  readonly alive: number;
  readonly echoed: readonly string[];
  readonly missing: readonly string[];
}

interface Pending {
  readonly echoed: Set<string>;
  check(): void;
}

/**
 * Readiness as a cluster-wide bus round trip: this node publishes a probe on a key every node
 * listens to, and every live node (by NodeRegistry heartbeats) echoes it through the bus. The
 * answer lists who echoed and who did not.
 *
 * Only this node's own fate decides its readiness: it is down when its own echo does not come
 * back (its publish path or its subscriber is wedged), or when most live nodes stay silent (it
 * is cut off from the cluster). A single silent peer is reported in the details but does not
 * take every other node out of the load balancer with it; the silent peer's own probe fails.
 */
@Injectable()
export class ClusterProbe implements OnModuleInit {
  private readonly logger = new Logger('Readiness');
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly bus: EventBus,
    private readonly nodes: NodeRegistry,
  ) {}

  async onModuleInit(): Promise<void> {
    // Retried by the bus until live if storage is down at boot; readiness says so meanwhile.
    await this.bus.listen(CLUSTER_PROBE_KEY, (event) => this.onSignal(event)).catch(() => undefined);
  }

  async run(timeoutMs: number): Promise<ProbeReport> {
    const started = performance.now();
    const alive = [...(await this.nodes.aliveInstances())];
    const probe = randomUUID();
    const echoed = new Set<string>();
    let ownEchoMs: number | undefined;
    await new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.pending.delete(probe);
        resolve();
      };
      const timer = setTimeout(finish, timeoutMs);
      this.pending.set(probe, {
        echoed,
        check: () => {
          if (ownEchoMs === undefined && echoed.has(this.nodes.instanceId)) ownEchoMs = performance.now() - started;
          if (alive.every((instance) => echoed.has(instance))) finish();
        },
      });
      this.bus.signal(CLUSTER_PROBE_KEY, 'health:probe', { probe, from: this.nodes.instanceId }).catch((error: Error) => {
        this.logger.warn(`readiness probe not published: ${error.message}`);
        finish();
      });
    });
    const missing = alive.filter((instance) => !echoed.has(instance));
    const report: ProbeReport = {
      roundTripMs: Math.round((ownEchoMs ?? performance.now() - started) * 10) / 10,
      alive: alive.length,
      echoed: [...echoed],
      missing,
    };
    if (!echoed.has(this.nodes.instanceId)) {
      throw new AppError(ErrorCode.UNAVAILABLE, `this node's own probe did not come back within ${timeoutMs} ms`, report);
    }
    if (missing.length * 2 > alive.length) {
      throw new AppError(ErrorCode.UNAVAILABLE, `${missing.length} of ${alive.length} live nodes did not answer`, report);
    }
    if (missing.length > 0) this.logger.warn({ msg: 'nodes did not answer the readiness probe', missing });
    return report;
  }

  private onSignal(event: Envelope): void {
    const data = event.data as { probe?: unknown; by?: unknown };
    if (typeof data?.probe !== 'string') return;
    if (event.event === 'health:probe') {
      void this.bus.signal(CLUSTER_PROBE_KEY, 'health:echo', { probe: data.probe, by: this.nodes.instanceId }).catch(() => undefined);
    } else if (event.event === 'health:echo' && typeof data.by === 'string') {
      const pending = this.pending.get(data.probe);
      if (!pending) return;
      pending.echoed.add(data.by);
      pending.check();
    }
  }
}
