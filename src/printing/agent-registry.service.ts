import { MetricsService } from '../metrics/metrics.service';
import { Injectable } from '@nestjs/common';
import type { AppSocket } from '../realtime/subscription.service';
import type { PrintingServerToClientEvents } from './printing.events';
import type { Printer, PrinterStatus } from './printing.events';

/** A printing agent connected to this instance. */
export interface LocalAgent {
  readonly socket: AppSocket<PrintingServerToClientEvents>;
  readonly companyId: string;
  readonly branchId: string;
  agentId: string;
  readonly connectedAt: number;
  printers: Map<string, Printer>;
  /** jobId -> attempt sent to this agent and not yet answered. */
  readonly inFlight: Map<string, number>;
}

export interface AgentChoice {
  readonly agent: LocalAgent;
  readonly printerId: string | null;
}

/** The agents connected to this instance, by branch, and the choice of who prints what. */
@Injectable()
export class AgentRegistry {
  private readonly bySocket = new Map<string, LocalAgent>();

  constructor(metrics: MetricsService) {
    metrics.provide({
      agentsOnline: () => this.bySocket.size,
      printJobsInFlight: () => [...this.bySocket.values()].reduce((sum, agent) => sum + agent.inFlight.size, 0),
    });
  }

  add(socket: AppSocket<PrintingServerToClientEvents>): LocalAgent {
    const { principal } = socket.data;
    const agent: LocalAgent = {
      socket,
      companyId: principal.companyId,
      branchId: principal.branchIds[0],
      agentId: principal.id,
      connectedAt: Date.now(),
      printers: new Map(),
      inFlight: new Map(),
    };
    this.bySocket.set(socket.id, agent);
    return agent;
  }

  remove(socketId: string): LocalAgent | undefined {
    const agent = this.bySocket.get(socketId);
    this.bySocket.delete(socketId);
    return agent;
  }

  get(socketId: string): LocalAgent | undefined {
    return this.bySocket.get(socketId);
  }

  setStatus(agent: LocalAgent, printerId: string, status: PrinterStatus): boolean {
    const printer = agent.printers.get(printerId);
    if (!printer) return false;
    agent.printers.set(printerId, { ...printer, status });
    return true;
  }

  /** Distinct [companyId, branchId] pairs with at least one agent here. */
  branches(): [string, string][] {
    const seen = new Map<string, [string, string]>();
    for (const agent of this.bySocket.values()) seen.set(`${agent.companyId}/${agent.branchId}`, [agent.companyId, agent.branchId]);
    return [...seen.values()];
  }

  ofBranch(companyId: string, branchId: string): LocalAgent[] {
    return [...this.bySocket.values()].filter((agent) => agent.companyId === companyId && agent.branchId === branchId);
  }

  get size(): number {
    return this.bySocket.size;
  }

  /**
   * Who gets a job: for a targeted job, the agent that registered that printer, while it is ready;
   * otherwise the least busy agent of the branch, preferring one with a ready printer (which the
   * job is then addressed to). Ties go to the agent connected first.
   */
  choose(companyId: string, branchId: string, requestedPrinterId: string | null): AgentChoice | undefined {
    const agents = this.ofBranch(companyId, branchId);
    if (requestedPrinterId !== null) {
      const agent = agents.find((candidate) => candidate.printers.get(requestedPrinterId)?.status === 'ready');
      return agent ? { agent, printerId: requestedPrinterId } : undefined;
    }
    const ranked = agents
      .map((agent) => ({ agent, ready: [...agent.printers.values()].find((printer) => printer.status === 'ready') }))
      .sort(
        (a, b) =>
          Number(b.ready !== undefined) - Number(a.ready !== undefined) ||
          a.agent.inFlight.size - b.agent.inFlight.size ||
          a.agent.connectedAt - b.agent.connectedAt,
      );
    const best = ranked[0];
    return best ? { agent: best.agent, printerId: best.ready?.id ?? null } : undefined;
  }
}
