import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { ChannelGateway } from '../realtime/channel.gateway';
import { NamespaceGate } from '../realtime/namespace-gate';
import { SessionLifecycle } from '../realtime/session-lifecycle';
import { SubscriptionService } from '../realtime/subscription.service';
import type { OkAck } from '../realtime/realtime.events';
import type { AppSocket } from '../realtime/subscription.service';
import type { PrintingServerToClientEvents } from './printing.events';
import { JobStatusDto } from './dto/job-status.dto';
import { PrinterStatusDto } from './dto/printer-status.dto';
import { RegisterPrintersDto } from './dto/register-printers.dto';
import type { JobStatus } from './print-job.model';
import { PrintAgentsService } from './print-agents.service';
import { CommandRoles } from '../realtime/ws-session.guard';
import { PRINTING_NAMESPACE } from './printing.definition';
import { PrintingEvent, type RegisterAck } from './printing.events';

/** /printing-ws: desktop printing agents receive jobs; admins subscribe to branch:<id> to watch. */
@WebSocketGateway({ namespace: `/${PRINTING_NAMESPACE.name}` })
export class PrintingGateway extends ChannelGateway<PrintingServerToClientEvents> {
  constructor(
    gate: NamespaceGate,
    sessions: SessionLifecycle,
    subscriptions: SubscriptionService,
    private readonly agents: PrintAgentsService,
  ) {
    super(gate, sessions, subscriptions, PRINTING_NAMESPACE);
  }

  @SubscribeMessage(PrintingEvent.REGISTER)
  @CommandRoles('printer-agent')
  async register(
    @ConnectedSocket() socket: AppSocket<PrintingServerToClientEvents>,
    @MessageBody() request: RegisterPrintersDto,
  ): Promise<RegisterAck> {
    return { ok: true, pending: await this.agents.register(socket, request) };
  }

  @SubscribeMessage(PrintingEvent.PRINTER_STATUS)
  @CommandRoles('printer-agent')
  async printerStatus(
    @ConnectedSocket() socket: AppSocket<PrintingServerToClientEvents>,
    @MessageBody() request: PrinterStatusDto,
  ): Promise<OkAck> {
    await this.agents.printerStatus(socket, request);
    return { ok: true };
  }

  @SubscribeMessage(PrintingEvent.JOB_STATUS)
  @CommandRoles('printer-agent')
  async jobStatus(
    @ConnectedSocket() socket: AppSocket<PrintingServerToClientEvents>,
    @MessageBody() request: JobStatusDto,
  ): Promise<OkAck & { status: JobStatus }> {
    const job = await this.agents.report(socket, request);
    return { ok: true, status: job.status };
  }

  protected override afterConnect(socket: AppSocket<PrintingServerToClientEvents>): Promise<void> {
    return this.agents.connected(socket);
  }

  protected override afterDisconnect(socket: AppSocket<PrintingServerToClientEvents>): Promise<void> {
    return this.agents.disconnected(socket);
  }

  protected override afterRefresh(socket: AppSocket<PrintingServerToClientEvents>): Promise<void> {
    return this.agents.refreshed(socket);
  }
}
