import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ConnectionLimits } from './connection-limits.service';
import { ConnectionMonitor } from './connection-monitor.service';
import { ProcessCapacity } from './process-capacity.service';
import { EngineAdmission } from './engine-admission.service';
import { InboundLimits } from './inbound-limits.service';
import { NamespaceGate } from './namespace-gate';
import { SessionLifecycle } from './session-lifecycle';
import { NamespaceRegistry } from './namespace.registry';
import { SessionTokens } from './session-tokens.service';
import { SocketDrain } from './socket-drain';
import { SubscriptionService } from './subscription.service';

@Module({
  imports: [AuthModule],
  providers: [
    NamespaceRegistry,
    SubscriptionService,
    NamespaceGate,
    SessionLifecycle,
    InboundLimits,
    ConnectionLimits,
    ConnectionMonitor,
    EngineAdmission,
    ProcessCapacity,
    SessionTokens,
    SocketDrain,
  ],
  // AuthModule too: WsSessionGuard, applied in each namespace module, checks revocations there.
  exports: [
    AuthModule,
    NamespaceRegistry,
    SubscriptionService,
    ConnectionLimits,
    SessionTokens,
    NamespaceGate,
    SessionLifecycle,
    ConnectionMonitor,
    EngineAdmission,
    ProcessCapacity,
  ],
})
export class RealtimeModule {}
