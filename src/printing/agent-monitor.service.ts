import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { NodeRegistry } from '../cluster/node-registry.service';
import { APP_CONFIG, type AppConfig } from '../config';
import { MetricsService } from '../metrics/metrics.service';
import { evaluateBranches } from './agent-alerts';
import { AGENT_DIRECTORY, type AgentDirectory, type BranchState } from './agent-directory.store';
import { PrintingNotifier } from './printing-notifier.service';

/**
 * Raises printing:agent-offline when a branch that had an agent has had none for
 * PRINT_AGENT_OFFLINE_ALERT_SECONDS, and printing:agent-online when one returns. One instance
 * evaluates at a time (a short exclusive turn), so each alert is published once per cluster.
 */
@Injectable()
export class AgentMonitor implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('AgentMonitor');
  private timer: NodeJS.Timeout | undefined;
  private readonly thresholdMs: number;

  constructor(
    @Inject(AGENT_DIRECTORY) private readonly directory: AgentDirectory,
    private readonly nodes: NodeRegistry,
    private readonly notifier: PrintingNotifier,
    @Inject(APP_CONFIG) config: AppConfig,
    metrics: MetricsService,
  ) {
    this.thresholdMs = config.printing.offlineAlertSeconds * 1000;
    metrics.provide({
      branchesWithoutAgent: async () =>
        (await this.directory.states()).flatMap((state) =>
          state.offlineSince === null ? [] : [{ companyId: state.companyId, branchId: state.branchId, offlineSince: state.offlineSince }],
        ),
    });
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.evaluate(), Math.max(200, Math.min(1000, this.thresholdMs / 2)));
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Branches currently alerted as offline (for /health/websocket). */
  async offlineBranches(): Promise<BranchState[]> {
    return (await this.directory.states()).filter((state) => state.alerted);
  }

  private async evaluate(): Promise<void> {
    try {
      await this.directory.exclusively(5000, async () => {
        const now = Date.now();
        const alive = await this.nodes.aliveInstances(now);
        const { agents, states } = await this.directory.load(alive, now);
        const result = evaluateBranches(agents, states, now, this.thresholdMs);
        await this.directory.save(result.states);
        for (const alert of result.alerts) {
          this.logger.log(`branch ${alert.companyId}/${alert.branchId}: agent ${alert.type}`);
          await this.notifier.agentAlert(alert.companyId, alert.type, {
            branchId: alert.branchId,
            agentId: alert.agentId,
            since: alert.since,
          });
        }
      });
    } catch (error) {
      this.logger.warn(`agent monitor: ${(error as Error).message}`);
    }
  }
}
