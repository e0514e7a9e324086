import { Injectable } from '@nestjs/common';
import { percentile } from '../metrics/company-activity';
import type { AdminStatsPayload, PlatformView } from './admin.events';
import { AdminSnapshots } from './admin-snapshots';
import { AgentOverview } from './agent-overview';

/**
 * The admin views, cluster-wide, from every live node's latest snapshot (AdminSnapshots) and the
 * agent directory: one company's dashboard, read from whichever node it is connected to, and the
 * platform view of every company.
 */
@Injectable()
export class AdminStats {
  constructor(
    private readonly snapshots: AdminSnapshots,
    private readonly agents: AgentOverview,
  ) {}

  /** The dashboard payload for one company, from the freshest snapshot of every live node. */
  async view(companyId: string, now = Date.now()): Promise<AdminStatsPayload> {
    const mine = this.snapshots.fresh(now).map((snapshot) => ({ node: snapshot.node, company: snapshot.companies[companyId] }));
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
      branches: await this.agents.branches(companyId, now),
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
    const fresh = this.snapshots.fresh(now);
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
    const { agents, withoutAgent } = await this.agents.counts(now);
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
}
