import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { APP_CONFIG, type AppConfig } from '../config';
import { RealtimeModule } from '../realtime/realtime.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { RedisConnections } from '../redis/redis-connections.service';
import { AGENT_DIRECTORY, type AgentDirectory } from './agent-directory.store';
import { AgentMonitor } from './agent-monitor.service';
import { AgentRegistry } from './agent-registry.service';
import { MemoryAgentDirectory } from './memory-agent-directory.store';
import { MemoryPrintJobStore } from './memory-print-job.store';
import { PrintAgentsService } from './print-agents.service';
import { PrintDispatcher } from './print-dispatcher.service';
import { PRINT_JOB_STORE, type PrintJobStore } from './print-job.store';
import { PrintJobsController } from './print-jobs.controller';
import { PrintJobsService } from './print-jobs.service';
import { PrintingGateway } from './printing.gateway';
import { PrintingHealth } from './printing-health';
import { PrintingNotifier } from './printing-notifier.service';
import { RedisAgentDirectory } from './redis-agent-directory.store';
import { RedisPrintJobStore } from './redis-print-job.store';
import { NamespaceRegistry } from '../realtime/namespace.registry';
import { PRINTING_NAMESPACE } from './printing.definition';

@Module({
  imports: [AuthModule, RealtimeModule, WebhooksModule],
  controllers: [PrintJobsController],
  providers: [
    {
      provide: PRINT_JOB_STORE,
      useFactory: (redis: RedisConnections, config: AppConfig): PrintJobStore => {
        const keepDocument = config.printing.documentRetentionSeconds;
        return redis.enabled
          ? new RedisPrintJobStore(redis.get('state'), () => redis.stateWritesHeld, redis.replicaAckMs, keepDocument)
          : new MemoryPrintJobStore(Date.now, keepDocument);
      },
      inject: [RedisConnections, APP_CONFIG],
    },
    {
      provide: AGENT_DIRECTORY,
      useFactory: (redis: RedisConnections): AgentDirectory =>
        redis.enabled ? new RedisAgentDirectory(redis.get('state')) : new MemoryAgentDirectory(),
      inject: [RedisConnections],
    },
    AgentRegistry,
    PrintingNotifier,
    PrintDispatcher,
    PrintJobsService,
    PrintAgentsService,
    AgentMonitor,
    PrintingGateway,
    PrintingHealth,
  ],
  exports: [AgentMonitor, AgentRegistry, PrintDispatcher, PrintJobsService, AGENT_DIRECTORY],
})
export class PrintingModule {
  /** The namespace is known (publish API, handshake, limits) before any gateway starts. */
  constructor(namespaces: NamespaceRegistry) {
    namespaces.register(PRINTING_NAMESPACE);
  }
}
