import { Inject, Injectable } from '@nestjs/common';
import { MetricsService } from '../metrics/metrics.service';
import { Revocations } from '../auth/revocations.service';
import { TokenVerifier } from '../auth/token-verifier.service';
import { APP_CONFIG, type AppConfig } from '../config';
import { ConnectionLimits } from './connection-limits.service';
import { SocketDirectory } from './socket-directory';
import { InboundLimits } from './inbound-limits.service';
import { frameLimitOf, NamespaceRegistry, type NamespaceDefinition } from './namespace.registry';
import type { SessionLimits } from './realtime.events';
import { SessionTokens } from './session-tokens.service';
import { SOCKET_IO_DEAD_AFTER_SECONDS } from './heartbeat';
import { SubscriptionService } from './subscription.service';

/**
 * Everything a namespace gateway needs, injected as one value so each gateway's constructor
 * stays a one-liner and adding shared plumbing never touches every namespace.
 */
@Injectable()
export class GatewayKit {
  constructor(
    @Inject(APP_CONFIG) readonly config: AppConfig,
    readonly verifier: TokenVerifier,
    readonly revocations: Revocations,
    readonly registry: NamespaceRegistry,
    readonly directory: SocketDirectory,
    readonly subscriptions: SubscriptionService,
    readonly inbound: InboundLimits,
    readonly connections: ConnectionLimits,
    readonly tokens: SessionTokens,
    readonly metrics: MetricsService,
  ) {}

  sessionLimits(definition: NamespaceDefinition): SessionLimits {
    const { limits } = this.config;
    return {
      maxPayloadBytes: limits.maxMessageBytes,
      maxFrameBytes: frameLimitOf(definition, limits),
      maxSubscriptions: limits.maxSubscriptionsPerSocket,
      messagesPerSecond: limits.ratePerSocket,
      burst: limits.rateBurst,
      rateLimitDisconnectSeconds: limits.rateDisconnectSeconds,
      maxBufferedBytes: limits.slowConsumerBytes,
      idleTimeoutSeconds: SOCKET_IO_DEAD_AFTER_SECONDS,
      tokenGraceSeconds: this.config.jwt.graceSeconds,
    };
  }
}
