import type { RevocationRule } from '../auth/revocations.service';
import type { KickRule } from '../auth/session-kicks.service';
import type { PrintJobView } from '../printing/print-job.model';
import type { Ack, BaseClientToServerEvents, BaseServerToClientEvents, OkAck } from '../realtime/realtime.events';
import type { TrendPoint } from './admin-trends';
import type { AuditEntry } from './audit-log.service';

export const AdminEvent = {
  /** Server → admin, every second: the admin's company, cluster-wide. */
  STATS: 'admin:stats',
  /** Server → admin, on connect and every 10 s: the last 15 minutes, one point per 10 s. */
  TREND: 'admin:trend',
  /** Admin → server, with ack: revoke every token of a user of the admin's company. */
  REVOKE_USER: 'admin:revoke-user',
  /** Admin → server, with ack: end a user's live sessions on every node (KICKED); the token stays valid. */
  KICK_USER: 'admin:kick-user',
  /** Admin → server, with ack: cancel a print job no agent has acknowledged. */
  CANCEL_PRINT_JOB: 'admin:cancel-print-job',
  /** Admin → server, with ack: print a job that left the queue again, as a new job `<jobId>.r<n>`. */
  RESEND_PRINT_JOB: 'admin:resend-print-job',
  /** Admin → server, with ack: the newest entries of the audit trail. */
  AUDIT: 'admin:audit',
} as const;

export interface AdminStatsPayload {
  readonly companyId: string;
  readonly at: number;
  /** Live connections per node, by namespace. */
  readonly nodes: readonly { readonly node: string; readonly connections: Readonly<Record<string, number>> }[];
  /** Printing agents per branch, from the cluster-wide directory. */
  readonly branches: readonly {
    readonly branchId: string;
    readonly online: boolean;
    readonly agents: readonly string[];
    readonly offlineSince: number | null;
  }[];
  /** Print job status changes in the last 15 minutes, by the status reached; and jobs awaiting an agent's ack now. */
  readonly printJobs: { readonly last15Minutes: Readonly<Record<string, number>>; readonly inFlight: number };
  /** Events published and delivered per second (last second), and publish-to-deliver latency (ms). */
  readonly events: {
    readonly publishedPerSecond: number;
    readonly deliveredPerSecond: number;
    readonly latencyMs: { readonly p50: number | null; readonly p99: number | null };
  };
  /** Newest first; only failures whose token claimed this company. */
  readonly authFailures: readonly {
    readonly code: string;
    readonly where: string;
    readonly ip: string | undefined;
    readonly at: number;
    readonly node: string;
  }[];
}

/** GET /v1/admin/platform: every company at a glance, for a platform admin (`companyId: "*"`). */
export interface PlatformView {
  readonly at: number;
  /** Nodes whose snapshot is fresh. */
  readonly nodes: readonly string[];
  /** Busiest first (connections). */
  readonly companies: readonly {
    readonly companyId: string;
    readonly connections: number;
    readonly connectionsByNamespace: Readonly<Record<string, number>>;
    readonly publishedPerSecond: number;
    readonly deliveredPerSecond: number;
    readonly p99Ms: number | null;
    readonly printJobsInFlight: number;
    readonly agentsOnline: number;
    readonly branchesWithoutAgent: number;
  }[];
}

export interface AdminTrendPayload {
  readonly companyId: string;
  readonly bucketSeconds: number;
  /** Oldest first, at most 90 (15 minutes). */
  readonly points: readonly TrendPoint[];
}

export type AdminClientToServerEvents = BaseClientToServerEvents & {
  'admin:revoke-user'(request: { userId: string }, ack: (response: Ack<OkAck & { revoked: RevocationRule }>) => void): void;
  'admin:kick-user'(request: { userId: string }, ack: (response: Ack<OkAck & { kicked: KickRule }>) => void): void;
  'admin:cancel-print-job'(request: { jobId: string }, ack: (response: Ack<OkAck & { job: PrintJobView }>) => void): void;
  'admin:resend-print-job'(request: { jobId: string }, ack: (response: Ack<OkAck & { created: boolean; job: PrintJobView }>) => void): void;
  'admin:audit'(request: Record<string, never>, ack: (response: Ack<OkAck & { entries: AuditEntry[] }>) => void): void;
};
export type AdminServerToClientEvents = BaseServerToClientEvents & {
  'admin:stats'(payload: AdminStatsPayload): void;
  'admin:trend'(payload: AdminTrendPayload): void;
};
