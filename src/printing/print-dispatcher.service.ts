import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { NodeRegistry } from '../cluster/node-registry.service';
import { APP_CONFIG, type AppConfig } from '../config';
import { DrainSteps } from '../lifecycle/drain-steps';
import { AgentRegistry, type LocalAgent } from './agent-registry.service';
import { acknowledge, backoff, claim, release } from './print-job.lifecycle';
import type { PrintJob } from './print-job.model';
import { PRINT_JOB_STORE, type PrintJobStore } from './print-job.store';
import { PrintingEvent, type PrintJobAnswer, type PrintJobPayload } from './printing.events';
import { PrintingNotifier, type PrintingSignal } from './printing-notifier.service';

/** A lease outlives the ack timeout by this much, so the holder's own timeout always fires first. */
const LEASE_MARGIN_MS = 1000;
/** Every instance rescans its branches this often: retries that fell due, leases of dead instances, lost signals. */
const SCAN_INTERVAL_MS = 1000;

/**
 * Sends print jobs to the agents connected to this instance. A job goes out only after a claim
 * (compare-and-set, with a lease) succeeds, so across all instances one agent at a time holds it;
 * an `{ accepted: true }` ack makes it acknowledged, after which no instance sends it again.
 * Unanswered attempts go back to the queue with backoff; an agent that disconnects gives its
 * unanswered jobs back at once.
 */
@Injectable()
export class PrintDispatcher implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('PrintDispatcher');
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly wakeups = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private scanner: NodeJS.Timeout | undefined;
  private readonly ackTimeoutMs: number;
  private draining = false;

  constructor(
    @Inject(PRINT_JOB_STORE) private readonly store: PrintJobStore,
    private readonly agents: AgentRegistry,
    private readonly nodes: NodeRegistry,
    private readonly notifier: PrintingNotifier,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    drain: DrainSteps,
  ) {
    this.ackTimeoutMs = config.printing.ackTimeoutMs;
    // Agents about to be disconnected get nothing new; what they did not acknowledge goes back.
    drain.register({ phase: 'stop-intake', name: 'printDispatchStopped', run: () => this.stopDispatching() });
    drain.register({ phase: 'hand-over', name: 'requeuedPrintJobs', run: () => this.requeueAll('instance shutting down') });
  }

  async onModuleInit(): Promise<void> {
    this.scanner = setInterval(() => this.kickAll(), SCAN_INTERVAL_MS);
    this.scanner.unref();
    try {
      await this.notifier.onSignal(
        (signal) => this.onSignal(signal),
        () => this.kickAll(),
      );
    } catch (error) {
      this.logger.warn(`printing signals unavailable until the bus recovers: ${(error as Error).message}`);
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.scanner);
    for (const { timer } of this.wakeups.values()) clearTimeout(timer);
    this.wakeups.clear();
  }

  private kickAll(): void {
    for (const [companyId, branchId] of this.agents.branches()) this.kick(companyId, branchId);
  }

  /** Draining: dispatch nothing more to this instance's agents (they are about to be disconnected). */
  stopDispatching(): true {
    this.draining = true;
    return true;
  }

  /**
   * Draining: hand every still-unanswered job back to the queue at once (no backoff), announced to
   * the other instances so their agents take them. Disconnecting an agent already hands its jobs
   * back; this is the backstop for any hand-back that failed or an agent that is still attached.
   */
  async requeueAll(reason: string): Promise<number> {
    this.draining = true;
    let requeued = 0;
    for (const [companyId, branchId] of this.agents.branches()) {
      for (const agent of this.agents.ofBranch(companyId, branchId)) {
        for (const [jobId, attempt] of agent.inFlight) {
          const released = await this.store.update({ companyId, jobId }, (job) =>
            release(job, Date.now(), { instance: this.nodes.instanceId, attempt }, 0, reason),
          );
          if (!released) continue;
          requeued += 1;
          await this.notifier.jobChanged(released);
        }
        agent.inFlight.clear();
      }
      await this.notifier.signal({ type: 'queued', companyId, branchId });
    }
    return requeued;
  }

  /** Looks for work for this branch's local agents; concurrent kicks for one branch coalesce into one more run. */
  kick(companyId: string, branchId: string): void {
    if (this.draining) return;
    const key = `${companyId}/${branchId}`;
    if (this.running.has(key)) {
      this.again.add(key);
      return;
    }
    const run = this.dispatch(companyId, branchId)
      .catch((error: Error) => this.logger.warn(`dispatch ${key}: ${error.message}`))
      .finally(() => {
        this.running.delete(key);
        if (this.again.delete(key)) this.kick(companyId, branchId);
      });
    this.running.set(key, run);
  }

  /** An agent left: its unanswered jobs go back to the queue at once, for the branch's other agents anywhere. */
  async agentGone(agent: LocalAgent): Promise<void> {
    for (const [jobId, attempt] of agent.inFlight) {
      const released = await this.store.update({ companyId: agent.companyId, jobId }, (job) =>
        release(
          job,
          Date.now(),
          { instance: this.nodes.instanceId, attempt },
          0,
          `agent ${agent.agentId} disconnected before acknowledging`,
        ),
      );
      if (released) await this.notifier.jobChanged(released);
    }
    agent.inFlight.clear();
    this.kick(agent.companyId, agent.branchId);
    await this.notifier.signal({ type: 'queued', companyId: agent.companyId, branchId: agent.branchId });
  }

  private async dispatch(companyId: string, branchId: string): Promise<void> {
    if (this.agents.ofBranch(companyId, branchId).length === 0) return;
    for (const job of await this.store.pending(companyId, branchId)) {
      const now = Date.now();
      if (job.expiresAt <= now) continue;
      const busyUntil = Math.max(job.nextAttemptAt, job.lease?.until ?? 0);
      if (busyUntil > now) {
        this.wakeAt(companyId, branchId, busyUntil);
        continue;
      }
      const choice = this.agents.choose(companyId, branchId, job.requestedPrinterId);
      if (!choice) continue;
      const holder = { instance: this.nodes.instanceId, agentId: choice.agent.agentId, until: now + this.ackTimeoutMs + LEASE_MARGIN_MS };
      const claimed = await this.store.update(job, (current) => claim(current, Date.now(), holder, choice.printerId));
      if (!claimed) continue;
      await this.notifier.jobChanged(claimed);
      await this.send(choice.agent, claimed);
    }
  }

  private async send(agent: LocalAgent, job: PrintJob): Promise<void> {
    const document = await this.store.document(job);
    if (!document || agent.socket.disconnected) {
      await this.settle(agent, job, job.attempts, undefined, 'agent unavailable at send time');
      return;
    }
    const payload: PrintJobPayload = {
      jobId: job.jobId,
      printerId: job.printerId,
      document,
      copies: job.copies,
      correlationId: job.correlationId,
      orderId: job.orderId,
      attempt: job.attempts,
      resentFrom: job.resentFrom ?? null,
    };
    agent.inFlight.set(job.jobId, job.attempts);
    agent.socket.timeout(this.ackTimeoutMs).emit(PrintingEvent.JOB, payload, (error: Error | null, answer: unknown) => {
      void this.settle(agent, job, job.attempts, error ? undefined : answer).catch((failure: Error) =>
        this.logger.warn(`settling ${job.jobId}: ${failure.message}`),
      );
    });
  }

  /** The agent answered (or did not): acknowledged, or back to the queue with backoff. */
  private async settle(agent: LocalAgent, job: PrintJob, attempt: number, answer: unknown, reason?: string): Promise<void> {
    if (agent.inFlight.get(job.jobId) === attempt) agent.inFlight.delete(job.jobId);
    const lease = { instance: this.nodes.instanceId, attempt };
    const accepted = typeof answer === 'object' && answer !== null && (answer as PrintJobAnswer).accepted === true;
    if (accepted) {
      const acked = await this.store.update(job, (current) => acknowledge(current, Date.now(), lease));
      if (acked) await this.notifier.jobChanged(acked);
      return;
    }
    const why =
      reason ??
      (answer === undefined
        ? `no ack within ${this.ackTimeoutMs} ms`
        : `refused by agent ${agent.agentId}${typeof (answer as PrintJobAnswer).reason === 'string' ? `: ${(answer as PrintJobAnswer).reason}` : ''}`);
    const delay = backoff(attempt, this.config.printing.retryBaseMs, this.config.printing.retryMaxSeconds * 1000);
    const released = await this.store.update(job, (current) => release(current, Date.now(), lease, delay, `${why}; retry in ${delay} ms`));
    if (!released) return;
    await this.notifier.jobChanged(released);
    this.wakeAt(job.companyId, job.branchId, released.nextAttemptAt);
    await this.notifier.signal({ type: 'queued', companyId: job.companyId, branchId: job.branchId });
  }

  /** One timer per branch, set for the earliest moment something there falls due. */
  private wakeAt(companyId: string, branchId: string, at: number): void {
    const key = `${companyId}/${branchId}`;
    const existing = this.wakeups.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(
      () => {
        this.wakeups.delete(key);
        this.kick(companyId, branchId);
      },
      Math.max(0, at - Date.now()),
    );
    timer.unref();
    this.wakeups.set(key, { at, timer });
  }

  private onSignal(signal: PrintingSignal): void {
    if (signal.type === 'queued') {
      this.kick(signal.companyId, signal.branchId);
      return;
    }
    for (const agent of this.agents.ofBranch(signal.companyId, signal.branchId)) {
      agent.socket.emit(PrintingEvent.JOB_CANCELLED, signal.payload);
    }
  }
}
