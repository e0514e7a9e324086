import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Namespace } from 'socket.io';
import { NodeRegistry } from '../cluster/node-registry.service';
import { APP_CONFIG, type AppConfig } from '../config';
import { percentile } from '../metrics/company-activity';
import { MetricsService } from '../metrics/metrics.service';
import { AGENT_DIRECTORY, type AgentDirectory } from '../printing/agent-directory.store';
import { AgentRegistry } from '../printing/agent-registry.service';
import { ConnectionCensus } from '../realtime/connection-census';
import type { AdminStatsPayload, AdminTrendPayload, PlatformView } from './admin.events';
import { TREND_BUCKET_MS, TrendHistory } from './admin-trends';

/** The server-side event (Socket.IO adapter, not the bus) that carries a node's snapshot to its peers. */
export const NODE_STATS_EVENT = 'admin:node-stats';
export const TICK_MS = 1000;
/** A node whose snapshot is older than this is gone (or cut off) and drops out of the view. */
const STALE_MS = 5000;
const PRINT_WINDOW_MS = 15 * 60_000;

interface CompanySnapshot {
  connections: Record<string, number>;
  published: number;
  delivered: number;
  latencies: number[];
  printJobs: Record<string, number>;
  inFlight: number;
  authFailures: { code: string; where: string; ip?: string; at: number }[];
}

interface NodeSnapshot {
  instance: string;
  node: string;
  at: number;
  companies: Record<string, CompanySnapshot>;
}

/**
 * The admin dashboard's numbers, cluster-wide: every second each node sends what it saw per
 * company (connections, events, latencies, print job changes, refused tokens) to its peers, and
 * keeps every node's latest snapshot. A dashboard then reads its own company's slice, from
 * whichever node it is connected to. Agents per branch come from the shared directory.
 *
 * Snapshots travel by the Socket.IO Redis adapter's `serverSideEmit`, not the bus: they are
 * at-most-once by nature (the next second's replaces a lost one), so they need no seq, history
 * or Redis write, only a broadcast to the other nodes.
 */
@Injectable()
export class AdminStats implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('AdminStats');
  private readonly snapshots = new Map<string, NodeSnapshot>();
  /** This node's print job changes per tick, for the 15-minute window. */
  private readonly printHistory: { at: number; byCompany: Map<string, Record<string, number>> }[] = [];
  private readonly trends = new TrendHistory();
  private closingTrends = false;
  private timer: NodeJS.Timeout | undefined;
  private peers: Namespace | undefined;

  constructor(
    private readonly nodes: NodeRegistry,
    private readonly metrics: MetricsService,
    private readonly census: ConnectionCensus,
    private readonly agents: AgentRegistry,
    @Inject(AGENT_DIRECTORY) private readonly directory: AgentDirectory,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  /** The admin namespace, once created: its adapter reaches the other nodes (Redis engine only). */
  attach(nsp: Namespace): void {
    // One process (the embedded engine) has no peers, and the in-memory adapter cannot send.
    if (this.config.redis === undefined) return;
    this.peers = nsp;
    nsp.on(NODE_STATS_EVENT, (snapshot: unknown) => this.onSnapshot(snapshot));
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** The dashboard payload for one company, from the freshest snapshot of every live node. */
  async view(companyId: string, now = Date.now()): Promise<AdminStatsPayload> {
    const fresh = [...this.snapshots.values()].filter((snapshot) => now - snapshot.at < STALE_MS);
    const mine = fresh.map((snapshot) => ({ node: snapshot.node, company: snapshot.companies[companyId] }));
    const latencies = mine.flatMap(({ company }) => company?.latencies ?? []);
    const printJobs: Record<string, number> = {};
    for (const { company } of mine) {
      for (const [status, count] of Object.entries(company?.printJobs ?? {})) printJobs[status] = (printJobs[status] ?? 0) + count;
    }
    return {
      companyId,
      at: now,
      nodes: mine
        .map(({ node, company }) => ({ node, connections: company?.connections ?? {} }))
        .sort((a, b) => a.node.localeCompare(b.node)),
      branches: await this.branches(companyId, now),
      printJobs: { last15Minutes: printJobs, inFlight: mine.reduce((sum, { company }) => sum + (company?.inFlight ?? 0), 0) },
      events: {
        publishedPerSecond: mine.reduce((sum, { company }) => sum + (company?.published ?? 0), 0),
        deliveredPerSecond: mine.reduce((sum, { company }) => sum + (company?.delivered ?? 0), 0),
        latencyMs: { p50: percentile(latencies, 50) ?? null, p99: percentile(latencies, 99) ?? null },
      },
      authFailures: mine
        .flatMap(({ node, company }) => (company?.authFailures ?? []).map((failure) => ({ ...failure, ip: failure.ip, node })))
        .sort((a, b) => b.at - a.at)
        .slice(0, 20),
    };
  }

  /** Every company's totals from the same snapshots, for the platform view. */
  async platform(now = Date.now()): Promise<PlatformView> {
    const fresh = [...this.snapshots.values()].filter((snapshot) => now - snapshot.at < STALE_MS);
    const rows = new Map<
      string,
      { connections: Record<string, number>; published: number; delivered: number; latencies: number[]; inFlight: number }
    >();
    for (const snapshot of fresh) {
      for (const [companyId, company] of Object.entries(snapshot.companies)) {
        let row = rows.get(companyId);
        if (!row) rows.set(companyId, (row = { connections: {}, published: 0, delivered: 0, latencies: [], inFlight: 0 }));
        for (const [namespace, count] of Object.entries(company.connections))
          row.connections[namespace] = (row.connections[namespace] ?? 0) + count;
        row.published += company.published;
        row.delivered += company.delivered;
        row.latencies.push(...company.latencies);
        row.inFlight += company.inFlight;
      }
    }
    const { agents, withoutAgent } = await this.agentCounts(now);
    const companies = [...new Set([...rows.keys(), ...agents.keys(), ...withoutAgent.keys()])].map((companyId) => {
      const row = rows.get(companyId);
      const connectionsByNamespace = row?.connections ?? {};
      return {
        companyId,
        connections: Object.values(connectionsByNamespace).reduce((sum, count) => sum + count, 0),
        connectionsByNamespace,
        publishedPerSecond: row?.published ?? 0,
        deliveredPerSecond: row?.delivered ?? 0,
        p99Ms: percentile(row?.latencies ?? [], 99) ?? null,
        printJobsInFlight: row?.inFlight ?? 0,
        agentsOnline: agents.get(companyId) ?? 0,
        branchesWithoutAgent: withoutAgent.get(companyId) ?? 0,
      };
    });
    companies.sort((a, b) => b.connections - a.connections || a.companyId.localeCompare(b.companyId));
    return { at: now, nodes: fresh.map((snapshot) => snapshot.node).sort(), companies };
  }

  /** Agents online per company, and branches that had an agent and have none now; empty when the directory is unreachable. */
  private async agentCounts(now: number): Promise<{ agents: Map<string, number>; withoutAgent: Map<string, number> }> {
    const agents = new Map<string, number>();
    const withoutAgent = new Map<string, number>();
    try {
      const directory = await this.directory.load(await this.nodes.aliveInstances(now), now);
      const online = new Map<string, Set<string>>();
      for (const agent of directory.agents) {
        const ids = online.get(agent.companyId) ?? new Set<string>();
        ids.add(`${agent.branchId}/${agent.agentId}`);
        online.set(agent.companyId, ids);
      }
      for (const [companyId, ids] of online) agents.set(companyId, ids.size);
      const covered = new Set(directory.agents.map((agent) => `${agent.companyId}/${agent.branchId}`));
      for (const state of directory.states) {
        if (!covered.has(`${state.companyId}/${state.branchId}`))
          withoutAgent.set(state.companyId, (withoutAgent.get(state.companyId) ?? 0) + 1);
      }
    } catch (error) {
      this.logger.debug(`agent directory unavailable: ${(error as Error).message}`);
    }
    return { agents, withoutAgent };
  }

  /** The company's last 15 minutes, one point per 10 s (this node's view of the cluster). */
  trend(companyId: string): AdminTrendPayload {
    return { companyId, bucketSeconds: TREND_BUCKET_MS / 1000, points: this.trends.of(companyId) };
  }

  /** Changes whenever a trend point is added: the gateway sends the trends again then. */
  get trendVersion(): number {
    return this.trends.version;
  }

  private async branches(companyId: string, now: number): Promise<AdminStatsPayload['branches']> {
    try {
      const { agents, states } = await this.directory.load(await this.nodes.aliveInstances(now), now);
      const byBranch = new Map<string, { agents: string[]; offlineSince: number | null }>();
      for (const state of states) {
        if (state.companyId === companyId) byBranch.set(state.branchId, { agents: [], offlineSince: state.offlineSince });
      }
      for (const agent of agents) {
        if (agent.companyId !== companyId) continue;
        const branch = byBranch.get(agent.branchId) ?? { agents: [], offlineSince: null };
        branch.agents.push(agent.agentId);
        byBranch.set(agent.branchId, branch);
      }
      return [...byBranch]
        .map(([branchId, branch]) => ({
          branchId,
          online: branch.agents.length > 0,
          agents: [...new Set(branch.agents)].sort(),
          offlineSince: branch.agents.length > 0 ? null : branch.offlineSince,
        }))
        .sort((a, b) => a.branchId.localeCompare(b.branchId));
    } catch (error) {
      this.logger.debug(`agent directory unavailable: ${(error as Error).message}`);
      return [];
    }
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
    this.addToTrends(snapshot);
    this.peers?.serverSideEmit(NODE_STATS_EVENT, snapshot);
    if (this.trends.due(now) && !this.closingTrends) void this.closeTrends(now);
  }

  /** Each snapshot is added once, when it arrives: no second is counted twice or missed. */
  private addToTrends(snapshot: NodeSnapshot): void {
    for (const [companyId, company] of Object.entries(snapshot.companies ?? {})) {
      if (company.published > 0 || company.delivered > 0) this.trends.add(companyId, company);
    }
  }

  /** Connections (from every live node's latest snapshot) and agents online (the directory), per company. */
  private async closeTrends(now: number): Promise<void> {
    this.closingTrends = true;
    try {
      const present = new Map<string, { connections: Record<string, number>; agentsOnline: number }>();
      const entry = (companyId: string) => {
        let found = present.get(companyId);
        if (!found) present.set(companyId, (found = { connections: {}, agentsOnline: 0 }));
        return found;
      };
      for (const snapshot of this.snapshots.values()) {
        if (now - snapshot.at >= STALE_MS) continue;
        for (const [companyId, company] of Object.entries(snapshot.companies)) {
          const connections = entry(companyId).connections;
          for (const [namespace, count] of Object.entries(company.connections))
            connections[namespace] = (connections[namespace] ?? 0) + count;
        }
      }
      for (const [companyId, count] of (await this.agentCounts(now)).agents) entry(companyId).agentsOnline = count;
      this.trends.close(Date.now(), present);
    } finally {
      this.closingTrends = false;
    }
  }

  private onSnapshot(data: unknown): void {
    const snapshot = data as NodeSnapshot;
    if (typeof snapshot?.instance !== 'string' || snapshot.instance === this.nodes.instanceId) return;
    // Clocks differ between hosts: stamp with our arrival time for staleness.
    this.snapshots.set(snapshot.instance, { ...snapshot, at: Date.now() });
    this.addToTrends(snapshot);
    for (const [instance, known] of this.snapshots) if (Date.now() - known.at > STALE_MS * 4) this.snapshots.delete(instance);
  }
}
