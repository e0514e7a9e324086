import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, keepsDebugLines, type AppConfig } from '../config';
import { MetricsService } from '../metrics/metrics.service';
import { connectionFields } from './connection-telemetry';
import type { NamespaceDefinition } from './namespace.registry';
import type { RefreshAck, SessionPayload } from './realtime.events';
import { sendSession } from './session-frame';
import { sessionLimitsOf } from './session-limits';
import { SessionTokens } from './session-tokens.service';
import type { AppSocket } from './subscription.service';

/**
 * A connected socket's session, the same in every namespace: the `session` frame on connect, its
 * token followed until it expires or is refreshed, and the connection's metrics and log line.
 */
@Injectable()
export class SessionLifecycle {
  private readonly logger = new Logger('Gateway');
  private readonly debugLogged: boolean;
  /** The `session` payload's limits: the same for every socket of a namespace, built once. */
  private readonly limits = new Map<string, SessionPayload['limits']>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tokens: SessionTokens,
    private readonly metrics: MetricsService,
  ) {
    this.debugLogged = keepsDebugLines(config.log);
  }

  opened(socket: AppSocket, definition: NamespaceDefinition): void {
    const { principal } = socket.data;
    const namespace = `/${definition.name}`;
    let limits = this.limits.get(definition.name);
    if (!limits) this.limits.set(definition.name, (limits = Object.freeze(sessionLimitsOf(definition, this.config))));
    const session: SessionPayload = {
      sessionId: socket.id,
      namespace,
      node: this.config.nodeId,
      user: { id: principal.id, companyId: principal.companyId, branchIds: principal.branchIds, roles: principal.roles },
      limits,
      tokenExpiresAt: principal.expiresAt,
      serverTime: Date.now(),
    };
    sendSession(socket, session);
    this.tokens.track(socket);
    this.metrics.handshakeAccepted(namespace);
    // One line per connection, when it ends (closed), with everything the connect line had: at
    // the default level a handshake writes no log line (the line was ~10 % of a handshake's CPU).
    // `connected` is a debug line.
    if (this.debugLogged) this.logger.debug({ msg: 'connected', ...connectionFields(socket, namespace) });
  }

  closed(socket: AppSocket, definition: NamespaceDefinition, reason?: string): void {
    // The handshake's time stands for the connection's start: the socket exists from then.
    const connectedAt = socket.handshake.issued;
    const namespace = `/${definition.name}`;
    this.metrics.connectionDuration.observe({ namespace }, (Date.now() - connectedAt) / 1000);
    this.logger.log({
      msg: 'disconnected',
      ...connectionFields(socket, namespace),
      reason,
      connectedAt,
      durationMs: Date.now() - connectedAt,
    });
    this.tokens.untrack(socket);
  }

  /** Swaps in a newer token (same user and company); channels the new one does not allow are dropped. */
  refresh(socket: AppSocket, definition: NamespaceDefinition, token: string): RefreshAck {
    return this.tokens.refresh(socket, definition, token);
  }
}
