import { Module } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { throwError, type Observable } from 'rxjs';
import { AppError, ErrorCode } from '../../src/common/app.errors';
import { ChannelGateway } from '../../src/realtime/channel.gateway';
import { NamespaceGate } from '../../src/realtime/namespace-gate';
import { NamespaceRegistry, type NamespaceDefinition } from '../../src/realtime/namespace.registry';
import { SessionLifecycle } from '../../src/realtime/session-lifecycle';
import { SubscriptionService } from '../../src/realtime/subscription.service';
import { RealtimeModule } from '../../src/realtime/realtime.module';
import type { AppSocket } from '../../src/realtime/subscription.service';

const CHAOS: NamespaceDefinition = { name: 'chaos', roles: ['admin', 'staff'], catalog: {} };

/** A namespace whose handlers and lifecycle hooks fail in every way a handler can, for the failing-handler suite. */
@WebSocketGateway({ namespace: '/chaos' })
export class ChaosGateway extends ChannelGateway {
  constructor(gate: NamespaceGate, sessions: SessionLifecycle, subscriptions: SubscriptionService) {
    super(gate, sessions, subscriptions, CHAOS);
  }

  @SubscribeMessage('chaos:throw')
  throwSync(): never {
    throw new Error('sync failure with a secret stack');
  }

  @SubscribeMessage('chaos:reject')
  async reject(): Promise<never> {
    await Promise.resolve();
    throw new Error('async failure');
  }

  @SubscribeMessage('chaos:observable')
  observable(): Observable<never> {
    return throwError(() => new Error('observable failure'));
  }

  @SubscribeMessage('chaos:throw-string')
  throwString(): never {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- the point is a non-Error throw
    throw 'a string, not an Error';
  }

  @SubscribeMessage('chaos:app-error')
  appError(): never {
    throw new AppError(ErrorCode.FORBIDDEN, 'a typed refusal');
  }

  @SubscribeMessage('chaos:echo')
  echo(@ConnectedSocket() socket: AppSocket, @MessageBody() body: unknown): { ok: true; id: string; body: unknown } {
    return { ok: true, id: socket.id, body };
  }

  protected override afterConnect(socket: AppSocket): void {
    if (socket.handshake.auth.explode === 'connect') throw new Error('afterConnect failure');
  }

  protected override async afterDisconnect(socket: AppSocket): Promise<void> {
    await Promise.resolve();
    if (socket.handshake.auth.explode === 'disconnect') throw new Error('afterDisconnect failure');
  }
}

@Module({ imports: [RealtimeModule], providers: [ChaosGateway] })
export class ChaosModule {
  constructor(namespaces: NamespaceRegistry) {
    namespaces.register(CHAOS);
  }
}
