import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { PrintingModule } from '../printing/printing.module';
import { RealtimeModule } from '../realtime/realtime.module';
import { AdminStats } from './admin-stats.service';
import { AdminSnapshots } from './admin-snapshots';
import { AdminTrendFeed } from './admin-trend-feed';
import { AgentOverview } from './agent-overview';
import { AuditLog } from './audit-log.service';
import { AdminGateway } from './admin.gateway';
import { DashboardController } from './dashboard/dashboard.controller';
import { PlatformController } from './platform.controller';
import { RevocationsController } from './revocations.controller';
import { NamespaceRegistry } from '../realtime/namespace.registry';
import { ADMIN_NAMESPACE } from './admin.definition';

/** Operator surface: token revocation, the platform view, and the /admin dashboard with its /admin-ws feed. */
@Module({
  imports: [AuthModule, RealtimeModule, PrintingModule],
  controllers: [RevocationsController, PlatformController, DashboardController],
  providers: [AdminSnapshots, AgentOverview, AdminTrendFeed, AdminStats, AdminGateway, AuditLog],
})
export class AdminModule {
  /** The namespace is known (publish API, handshake, limits) before any gateway starts. */
  constructor(namespaces: NamespaceRegistry) {
    namespaces.register(ADMIN_NAMESPACE);
  }
}
