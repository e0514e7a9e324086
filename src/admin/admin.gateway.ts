import type { OnApplicationShutdown } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { SessionKicks, type KickRule } from '../auth/session-kicks.service';
import { AppError } from '../common/app.errors';
import { viewOf, type PrintJobView } from '../printing/print-job.model';
import { PrintJobsService } from '../printing/print-jobs.service';
import { CommandRoles } from '../realtime/ws-session.guard';
import { AuditLog, type AuditEntry } from './audit-log.service';
import { AdminJobDto, AdminUserDto } from './dto/admin-action.dto';
import type { DefaultEventsMap, Namespace } from 'socket.io';
import { ChannelGateway } from '../realtime/channel.gateway';
import { NamespaceGate } from '../realtime/namespace-gate';
import { SessionLifecycle } from '../realtime/session-lifecycle';
import { SubscriptionService } from '../realtime/subscription.service';
import { SocketDirectory } from '../realtime/socket-directory';
import { Revocations, type RevocationRule } from '../auth/revocations.service';
import type { AppSocket } from '../realtime/subscription.service';
import { ADMIN_NAMESPACE } from './admin.definition';
import type { AdminServerToClientEvents } from './admin.events';
import { AdminEvent } from './admin.events';
import { AdminStats } from './admin-stats.service';
import { AdminSnapshots, TICK_MS } from './admin-snapshots';
import { AdminTrendFeed } from './admin-trend-feed';

/** Not a channel key (no `/`), so the bus never mistakes it for one. */
const companyRoom = (companyId: string) => `admin:${companyId}`;

/**
 * /admin-ws: the admin dashboard's live feed. An admin gets `admin:stats` for its own company
 * on connect and then every second; computed once per company per node, whatever the number of
 * open dashboards.
 */
@WebSocketGateway({ namespace: `/${ADMIN_NAMESPACE.name}` })
export class AdminGateway extends ChannelGateway<AdminServerToClientEvents> implements OnApplicationShutdown {
  private readonly timer: NodeJS.Timeout;
  /** The trend version last sent to the dashboards. */
  private sentTrend = 0;

  constructor(
    gate: NamespaceGate,
    sessions: SessionLifecycle,
    subscriptions: SubscriptionService,
    private readonly directory: SocketDirectory,
    private readonly revocations: Revocations,
    private readonly stats: AdminStats,
    private readonly snapshots: AdminSnapshots,
    private readonly trends: AdminTrendFeed,
    private readonly audit: AuditLog,
    private readonly jobs: PrintJobsService,
    private readonly kicks: SessionKicks,
  ) {
    super(gate, sessions, subscriptions, ADMIN_NAMESPACE);
    this.timer = setInterval(() => void this.broadcast(), TICK_MS);
    this.timer.unref();
  }

  override afterInit(nsp: Namespace): void {
    super.afterInit(nsp);
    this.snapshots.attach(nsp);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Revokes every token of a user of the admin's company: their sockets on every node end (REVOKED). */
  @SubscribeMessage(AdminEvent.REVOKE_USER)
  @CommandRoles('admin')
  revokeUser(
    @ConnectedSocket() socket: AppSocket<AdminServerToClientEvents>,
    @MessageBody() request: AdminUserDto,
  ): Promise<{ ok: true; revoked: RevocationRule }> {
    const { companyId } = socket.data.principal;
    return this.audited(socket, 'revoke-user', request.userId, async () => ({
      ok: true as const,
      revoked: await this.revocations.revoke({ companyId, userId: request.userId }),
    }));
  }

  /**
   * Ends a user's live sessions on every node and transport (`session:ended` KICKED), without
   * revoking: the token stays valid. The SDK does not reconnect after KICKED; a reload does.
   */
  @SubscribeMessage(AdminEvent.KICK_USER)
  @CommandRoles('admin')
  kickUser(
    @ConnectedSocket() socket: AppSocket<AdminServerToClientEvents>,
    @MessageBody() request: AdminUserDto,
  ): Promise<{ ok: true; kicked: KickRule }> {
    const { companyId } = socket.data.principal;
    return this.audited(socket, 'kick-user', request.userId, async () => ({
      ok: true as const,
      kicked: await this.kicks.kick({ companyId, userId: request.userId }),
    }));
  }

  /** Cancels a print job of the admin's company that no agent has acknowledged yet. */
  @SubscribeMessage(AdminEvent.CANCEL_PRINT_JOB)
  @CommandRoles('admin')
  cancelPrintJob(
    @ConnectedSocket() socket: AppSocket<AdminServerToClientEvents>,
    @MessageBody() request: AdminJobDto,
  ): Promise<{ ok: true; job: PrintJobView }> {
    return this.audited(socket, 'cancel-print-job', request.jobId, async () => ({
      ok: true as const,
      job: viewOf(await this.jobs.cancel(socket.data.principal, request.jobId)),
    }));
  }

  /**
   * Prints a job of the admin's company again, as a new job `<jobId>.r<n>` with the same document
   * (while it is kept). The audit trail names the original; the ack, the copy.
   */
  @SubscribeMessage(AdminEvent.RESEND_PRINT_JOB)
  @CommandRoles('admin')
  resendPrintJob(
    @ConnectedSocket() socket: AppSocket<AdminServerToClientEvents>,
    @MessageBody() request: AdminJobDto,
  ): Promise<{ ok: true; created: boolean; job: PrintJobView }> {
    return this.audited(socket, 'resend-print-job', request.jobId, async () => {
      const { created, job } = await this.jobs.resend(socket.data.principal, request.jobId);
      return { ok: true as const, created, job: viewOf(job) };
    });
  }

  /** The newest entries of the admin's company's audit trail. */
  @SubscribeMessage(AdminEvent.AUDIT)
  @CommandRoles('admin')
  async auditTrail(@ConnectedSocket() socket: AppSocket<AdminServerToClientEvents>): Promise<{ ok: true; entries: AuditEntry[] }> {
    return { ok: true, entries: await this.audit.recent(socket.data.principal.companyId) };
  }

  /** Runs an admin action and writes it to the audit trail, with its outcome (success or error code). */
  private async audited<T>(
    socket: AppSocket<AdminServerToClientEvents>,
    action: string,
    target: string,
    run: () => Promise<T>,
  ): Promise<T> {
    const { companyId, id } = socket.data.principal;
    try {
      const result = await run();
      await this.audit.record({ companyId, actor: id, action, target, outcome: 'ok' });
      return result;
    } catch (error) {
      const outcome = error instanceof AppError ? error.toBody().code : 'INTERNAL';
      await this.audit.record({ companyId, actor: id, action, target, outcome });
      throw error;
    }
  }

  protected override async afterConnect(socket: AppSocket<AdminServerToClientEvents>): Promise<void> {
    const { companyId } = socket.data.principal;
    await socket.join(companyRoom(companyId));
    socket.emit(AdminEvent.STATS, await this.stats.view(companyId));
    socket.emit(AdminEvent.TREND, this.trends.trend(companyId));
  }

  private async broadcast(): Promise<void> {
    const nsp = this.directory.namespace(ADMIN_NAMESPACE.name) as Namespace<DefaultEventsMap, AdminServerToClientEvents> | undefined;
    if (!nsp) return;
    const companies = new Set<string>();
    for (const socket of nsp.sockets.values()) companies.add((socket as AppSocket<AdminServerToClientEvents>).data.principal.companyId);
    const trendVersion = this.trends.version;
    const trendChanged = trendVersion !== this.sentTrend;
    this.sentTrend = trendVersion;
    for (const companyId of companies) {
      if (trendChanged) nsp.local.to(companyRoom(companyId)).emit(AdminEvent.TREND, this.trends.trend(companyId));
      try {
        nsp.local.to(companyRoom(companyId)).emit(AdminEvent.STATS, await this.stats.view(companyId));
      } catch (error) {
        this.logger.warn(`admin stats for ${companyId}: ${(error as Error).message}`);
      }
    }
  }
}
