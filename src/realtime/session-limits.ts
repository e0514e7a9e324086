import type { AppConfig } from '../config';
import { SOCKET_IO_DEAD_AFTER_SECONDS } from './heartbeat';
import { frameLimitOf, type NamespaceDefinition } from './namespace.registry';
import type { SessionLimits } from './realtime.events';

/** The limits a namespace's clients are told in `session` (and SSE / WebSocket `session` frames). */
export function sessionLimitsOf(definition: NamespaceDefinition, config: AppConfig): SessionLimits {
  const { limits } = config;
  return {
    maxPayloadBytes: limits.maxMessageBytes,
    maxFrameBytes: frameLimitOf(definition, limits),
    maxSubscriptions: limits.maxSubscriptionsPerSocket,
    messagesPerSecond: limits.ratePerSocket,
    burst: limits.rateBurst,
    rateLimitDisconnectSeconds: limits.rateDisconnectSeconds,
    maxBufferedBytes: limits.slowConsumerBytes,
    idleTimeoutSeconds: SOCKET_IO_DEAD_AFTER_SECONDS,
    tokenGraceSeconds: config.jwt.graceSeconds,
  };
}
