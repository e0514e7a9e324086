import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Namespace } from 'socket.io';
import { NodeRegistry } from '../cluster/node-registry.service';
import { APP_CONFIG, type AppConfig } from '../config';
import { MetricsService } from '../metrics/metrics.service';
import { AgentRegistry } from '../printing/agent-registry.service';
import { ConnectionCensus } from '../realtime/connection-census';

/** The server-side event (Socket.IO adapter, not the bus) that carries a node's snapshot to its peers. */
export const NODE_STATS_EVENT = 'admin:node-stats';
export const TICK_MS = 1000;
/** A node whose snapshot is older than this is gone (or cut off) and drops out of the views. */
export const STALE_MS = 5000;
const PRINT_WINDOW_MS = 15 * 60_000;

/** What one node saw of one company in the last second (print jobs: the last 15 minutes). */
export interface CompanySnapshot {
  connections: Record<string, number>;
  published: number;
  delivered: number;
  latencies: number[];
  printJobs: Record<string, number>;
  inFlight: number;
  authFailures: { code: string; where: string; ip?: string; at: number }[];
}

export interface NodeSnapshot {
  instance: string;
  node: string;
  at: number;
  companies: Record<string, CompanySnapshot>;
}

/**
 * The snapshot exchange behind the admin views: every second each node sends what it saw per
 * company (connections, events, latencies, print job changes, refused tokens) to its peers, and
 * keeps every node's latest snapshot.
 *
 * Snapshots travel by the Socket.IO Redis adapter's `serverSideEmit`, not the bus: they are
 * at-most-once by nature (the next second's replaces a lost one), so they need no seq, history
 * or Redis write, only a broadcast to the other nodes.
 */
@Injectable()
export class AdminSnapshots implements OnModuleInit, OnApplicationShutdown {
  private readonly snapshots = new Map<string, NodeSnapshot>();
  /** This node's print job changes per tick, for the 15-minute window. */
  private readonly printHistory: { at: number; byCompany: Map<string, Record<string, number>> }[] = [];
  private readonly listeners = new Set<(snapshot: NodeSnapshot, own: boolean) => void>();
  private timer: NodeJS.Timeout | undefined;
  private peers: Namespace | undefined;

  constructor(
    private readonly nodes: NodeRegistry,
    private readonly metrics: MetricsService,
    private readonly census: ConnectionCensus,
    private readonly agents: AgentRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** The admin namespace, once created: its adapter reaches the other nodes (Redis engine only). */
  attach(nsp: Namespace): void {
    // One process (the embedded engine) has no peers, and the in-memory adapter cannot send.
    if (this.config.redis === undefined) return;
    this.peers = nsp;
    nsp.on(NODE_STATS_EVENT, (snapshot: unknown) => this.arrived(snapshot));
  }

  /** Every snapshot, once, as it is made (`own`) or arrives from a peer. */
  onSnapshot(listener: (snapshot: NodeSnapshot, own: boolean) => void): void {
    this.listeners.add(listener);
  }

  /** The latest snapshot of every node that sent one lately. */
  fresh(now = Date.now()): NodeSnapshot[] {
    return [...this.snapshots.values()].filter((snapshot) => now - snapshot.at < STALE_MS);
  }

  private tick(): void {
    const now = Date.now();
    const activity = this.metrics.activity.take();
    this.printHistory.push({
      at: now,
      byCompany: new Map(
        [...activity]
          .filter(([, window]) => Object.keys(window.printJobs).length > 0)
          .map(([company, window]) => [company, window.printJobs]),
      ),
    });
    while (this.printHistory.length > 0 && now - this.printHistory[0].at > PRINT_WINDOW_MS) this.printHistory.shift();

    const companies: Record<string, CompanySnapshot> = {};
    const company = (id: string): CompanySnapshot =>
      (companies[id] ??= { connections: {}, published: 0, delivered: 0, latencies: [], printJobs: {}, inFlight: 0, authFailures: [] });
    for (const [id, connections] of this.census.connectionsByCompany()) company(id).connections = connections;
    for (const [id, window] of activity) {
      const snapshot = company(id);
      snapshot.published = window.published;
      snapshot.delivered = window.delivered;
      snapshot.latencies = window.latencies;
    }
    for (const entry of this.printHistory) {
      for (const [id, counts] of entry.byCompany) {
        const jobs = company(id).printJobs;
        for (const [status, count] of Object.entries(counts)) jobs[status] = (jobs[status] ?? 0) + count;
      }
    }
    for (const [companyId, branchId] of this.agents.branches()) {
      for (const agent of this.agents.ofBranch(companyId, branchId)) company(companyId).inFlight += agent.inFlight.size;
    }
    for (const failure of this.metrics.recentAuthFailures) {
      if (failure.company !== undefined) {
        company(failure.company).authFailures.push({
          code: failure.code,
          where: failure.where,
          ...(failure.ip !== undefined ? { ip: failure.ip } : {}),
          at: failure.at,
        });
      }
    }
    const snapshot: NodeSnapshot = { instance: this.nodes.instanceId, node: this.config.nodeId, at: now, companies };
    // Our own view is kept directly; peers get it through the adapter.
    this.snapshots.set(snapshot.instance, snapshot);
    for (const listener of this.listeners) listener(snapshot, true);
    this.peers?.serverSideEmit(NODE_STATS_EVENT, snapshot);
  }

  private arrived(data: unknown): void {
    const snapshot = data as NodeSnapshot;
    if (typeof snapshot?.instance !== 'string' || snapshot.instance === this.nodes.instanceId) return;
    // Clocks differ between hosts: stamp with our arrival time for staleness.
    this.snapshots.set(snapshot.instance, { ...snapshot, at: Date.now() });
    for (const listener of this.listeners) listener(snapshot, false);
    for (const [instance, known] of this.snapshots) if (Date.now() - known.at > STALE_MS * 4) this.snapshots.delete(instance);
  }
}
