import { Injectable } from '@nestjs/common';
import type { Namespace } from 'socket.io';
import { handshakeAuth } from '../auth/handshake.middleware';
import { Revocations } from '../auth/revocations.service';
import { TokenVerifier } from '../auth/token-verifier.service';
import { MetricsService } from '../metrics/metrics.service';
import { ConnectionLimits } from './connection-limits.service';
import { observeRefusals } from './connection-telemetry';
import { InboundLimits } from './inbound-limits.service';
import type { NamespaceDefinition } from './namespace.registry';
import { corkUntilConnected } from './session-frame';
import { SocketDirectory } from './socket-directory';

/**
 * What stands between a client and a namespace: the handshake checks, in order, as Socket.IO
 * middleware (guards do not run on connect), and the namespace's entry in the SocketDirectory.
 */
@Injectable()
export class NamespaceGate {
  constructor(
    private readonly verifier: TokenVerifier,
    private readonly revocations: Revocations,
    private readonly inbound: InboundLimits,
    private readonly connections: ConnectionLimits,
    private readonly metrics: MetricsService,
    private readonly directory: SocketDirectory,
  ) {}

  open(nsp: Namespace, definition: NamespaceDefinition): void {
    const namespace = `/${definition.name}`;
    const observe = observeRefusals(namespace, this.metrics);
    nsp.use(observe(handshakeAuth(this.verifier, this.revocations, namespace, definition.roles, definition.admit)));
    nsp.use(observe(this.inbound.middleware()));
    // Last of the checks: a socket counted by the connection limits is sure to connect.
    nsp.use(observe(this.connections.middleware()));
    // After every check: it never refuses, and holds CONNECT for `session` (session-frame.ts).
    nsp.use(corkUntilConnected);
    this.directory.attachNamespace(definition.name, nsp);
  }
}
