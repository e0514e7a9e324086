import { Inject, Injectable } from '@nestjs/common';
import { NodeRegistry } from '../cluster/node-registry.service';
import { AppError, ErrorCode } from '../common/app.errors';
import type { AppSocket } from '../realtime/subscription.service';
import type { PrintingServerToClientEvents } from './printing.events';
import { AGENT_DIRECTORY, type AgentDirectory } from './agent-directory.store';
import { AgentRegistry, type LocalAgent } from './agent-registry.service';
import type { JobStatusDto } from './dto/job-status.dto';
import type { PrinterStatusDto } from './dto/printer-status.dto';
import type { RegisterPrintersDto } from './dto/register-printers.dto';
import type { PrintJob } from './print-job.model';
import { PRINT_JOB_STORE, type PrintJobStore } from './print-job.store';
import { PrintDispatcher } from './print-dispatcher.service';
import { PrintJobsService } from './print-jobs.service';
import { PrintingNotifier } from './printing-notifier.service';

/** The agent side of /printing-ws: connect, register printers, printer status, outcome reports, disconnect. */
@Injectable()
export class PrintAgentsService {
  constructor(
    private readonly registry: AgentRegistry,
    private readonly dispatcher: PrintDispatcher,
    private readonly jobs: PrintJobsService,
    private readonly notifier: PrintingNotifier,
    private readonly nodes: NodeRegistry,
    @Inject(AGENT_DIRECTORY) private readonly directory: AgentDirectory,
    @Inject(PRINT_JOB_STORE) private readonly store: PrintJobStore,
  ) {}

  static isAgent(socket: AppSocket<PrintingServerToClientEvents>): boolean {
    return socket.data.principal.roles.includes('printer-agent') && !socket.data.principal.roles.includes('admin');
  }

  /** An agent that connects receives its branch's pending jobs at once (admins only watch). */
  async connected(socket: AppSocket<PrintingServerToClientEvents>): Promise<void> {
    if (!PrintAgentsService.isAgent(socket)) return;
    const agent = this.registry.add(socket);
    await this.announce(agent, true);
    this.dispatcher.kick(agent.companyId, agent.branchId);
  }

  async disconnected(socket: AppSocket<PrintingServerToClientEvents>): Promise<void> {
    const agent = this.registry.remove(socket.id);
    if (!agent) return;
    // Jobs first: handing back unanswered tickets matters more than the bookkeeping below.
    await this.dispatcher.agentGone(agent);
    await this.directory.remove(this.connectionId(agent));
    await this.notifier.printersChanged(agent.companyId, agent.branchId, { agentId: agent.agentId, connected: false, printers: [] });
  }

  /**
   * After a token refresh: an agent registration is a right like a subscription. If the new token
   * no longer makes this socket an agent of the same company and branch, the registration ends as
   * if it had disconnected (its unanswered jobs go back to the queue, the branch sees it leave);
   * an agent of another branch then starts afresh there, without printers until it registers them.
   */
  async refreshed(socket: AppSocket<PrintingServerToClientEvents>): Promise<void> {
    const agent = this.registry.get(socket.id);
    const { principal } = socket.data;
    const sameBranch = agent !== undefined && agent.companyId === principal.companyId && agent.branchId === principal.branchIds[0];
    if (agent && PrintAgentsService.isAgent(socket) && sameBranch) return;
    if (agent) await this.disconnected(socket);
    await this.connected(socket);
  }

  /** Returns how many jobs of the branch are pending; they follow as print:job in queue order. */
  async register(socket: AppSocket<PrintingServerToClientEvents>, request: RegisterPrintersDto): Promise<number> {
    const agent = this.agentOf(socket);
    const ids = request.printers.map((printer) => printer.id);
    const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
    if (duplicate !== undefined) {
      const message = `printer id ${duplicate} appears twice`;
      throw new AppError(ErrorCode.VALIDATION_FAILED, message, [{ path: 'printers', errors: [message] }]);
    }
    agent.agentId = request.agentId ?? agent.agentId;
    agent.printers = new Map(request.printers.map((printer) => [printer.id, { ...printer }]));
    await this.announce(agent, true);
    const pending = (await this.store.pending(agent.companyId, agent.branchId)).length;
    this.dispatcher.kick(agent.companyId, agent.branchId);
    return pending;
  }

  async printerStatus(socket: AppSocket<PrintingServerToClientEvents>, request: PrinterStatusDto): Promise<void> {
    const agent = this.agentOf(socket);
    if (!this.registry.setStatus(agent, request.printerId, request.status)) {
      throw new AppError(ErrorCode.PRINTER_UNKNOWN, `printer ${request.printerId} is not registered by this agent`);
    }
    await this.announce(agent, true);
    if (request.status === 'ready') this.dispatcher.kick(agent.companyId, agent.branchId);
  }

  report(socket: AppSocket<PrintingServerToClientEvents>, request: JobStatusDto): Promise<PrintJob> {
    return this.jobs.report(this.agentOf(socket), request);
  }

  private agentOf(socket: AppSocket<PrintingServerToClientEvents>): LocalAgent {
    const agent = this.registry.get(socket.id);
    if (!agent) throw new AppError(ErrorCode.FORBIDDEN, 'only printer agents may do this');
    return agent;
  }

  private async announce(agent: LocalAgent, connected: boolean): Promise<void> {
    await this.directory.add(this.connectionId(agent), {
      companyId: agent.companyId,
      branchId: agent.branchId,
      agentId: agent.agentId,
      since: agent.connectedAt,
    });
    await this.notifier.printersChanged(agent.companyId, agent.branchId, {
      agentId: agent.agentId,
      connected,
      printers: [...agent.printers.values()],
    });
  }

  private connectionId(agent: LocalAgent): string {
    return `${this.nodes.instanceId}|${agent.socket.id}`;
  }
}
