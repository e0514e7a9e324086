import { Injectable } from '@nestjs/common';
import type { AdminTrendPayload } from './admin.events';
import { AdminSnapshots, type NodeSnapshot } from './admin-snapshots';
import { TREND_BUCKET_MS, TrendHistory } from './admin-trends';
import { AgentOverview } from './agent-overview';

/**
 * The dashboard's 15-minute trends: every snapshot (this node's and its peers') is added once, as
 * it arrives, so no second is counted twice or missed; every 10 s a point is closed with the
 * connections of every live node and the agents online.
 */
@Injectable()
export class AdminTrendFeed {
  private readonly trends = new TrendHistory();
  private closing = false;

  constructor(
    private readonly snapshots: AdminSnapshots,
    private readonly agents: AgentOverview,
  ) {
    snapshots.onSnapshot((snapshot, own) => {
      this.add(snapshot);
      if (own && this.trends.due(snapshot.at) && !this.closing) void this.close(snapshot.at);
    });
  }

  /** The company's last 15 minutes, one point per 10 s (this node's view of the cluster). */
  trend(companyId: string): AdminTrendPayload {
    return { companyId, bucketSeconds: TREND_BUCKET_MS / 1000, points: this.trends.of(companyId) };
  }

  /** Changes whenever a trend point is added: the gateway sends the trends again then. */
  get version(): number {
    return this.trends.version;
  }

  private add(snapshot: NodeSnapshot): void {
    for (const [companyId, company] of Object.entries(snapshot.companies ?? {})) {
      if (company.published > 0 || company.delivered > 0) this.trends.add(companyId, company);
    }
  }

  /** Connections (from every live node's latest snapshot) and agents online (the directory), per company. */
  private async close(now: number): Promise<void> {
    this.closing = true;
    try {
      const present = new Map<string, { connections: Record<string, number>; agentsOnline: number }>();
      const entry = (companyId: string) => {
        let found = present.get(companyId);
        if (!found) present.set(companyId, (found = { connections: {}, agentsOnline: 0 }));
        return found;
      };
      for (const snapshot of this.snapshots.fresh(now)) {
        for (const [companyId, company] of Object.entries(snapshot.companies)) {
          const connections = entry(companyId).connections;
          for (const [namespace, count] of Object.entries(company.connections))
            connections[namespace] = (connections[namespace] ?? 0) + count;
        }
      }
      for (const [companyId, count] of (await this.agents.counts(now)).agents) entry(companyId).agentsOnline = count;
      this.trends.close(Date.now(), present);
    } finally {
      this.closing = false;
    }
  }
}
