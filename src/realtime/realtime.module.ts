import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ConnectionLimits } from './connection-limits.service';
import { ConnectionMonitor } from './connection-monitor.service';
import { ProcessCapacity } from './process-capacity.service';
import { EngineAdmission } from './engine-admission.service';
import { InboundLimits } from './inbound-limits.service';
import { GatewayKit } from './gateway-kit.service';
import { NamespaceRegistry } from './namespace.registry';
import { SessionTokens } from './session-tokens.service';
import { SocketDrain } from './socket-drain';
import { SubscriptionService } from './subscription.service';

@Module({
  imports: [AuthModule],
  providers: [
    NamespaceRegistry,
    SubscriptionService,
    GatewayKit,
    InboundLimits,
    ConnectionLimits,
    ConnectionMonitor,
    EngineAdmission,
    ProcessCapacity,
    SessionTokens,
    SocketDrain,
  ],
  exports: [
    NamespaceRegistry,
    SubscriptionService,
    ConnectionLimits,
    SessionTokens,
    GatewayKit,
    ConnectionMonitor,
    EngineAdmission,
    ProcessCapacity,
  ],
})
export class RealtimeModule {}
