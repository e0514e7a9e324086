import type { Principal, Role } from '../common/principal';
import type { ErrorBody, ErrorCode } from '../common/app.errors';
import type { Envelope, NotRecoveredReason, Position, ResetReason } from '../bus/envelope';

export type { Envelope, Position } from '../bus/envelope';

/** Event names every namespace shares. */
export const RealtimeEvent = {
  SESSION: 'session',
  BATCH: 'batch',
  CHANNEL_RESET: 'channel:reset',
  SUBSCRIBE: 'subscribe',
  UNSUBSCRIBE: 'unsubscribe',
  EXCEPTION: 'exception',
  SESSION_ENDED: 'session:ended',
  SERVER_DRAINING: 'server:draining',
  AUTH_REFRESH: 'auth:refresh',
  AUTH_EXPIRING: 'auth:expiring',
  SESSION_PING: 'session:ping',
} as const;

/** Every limit a client can run into, advertised in `session` so clients need not guess. */
export interface SessionLimits {
  /** Largest client message (JSON bytes); larger: PAYLOAD_TOO_LARGE, connection kept. */
  readonly maxPayloadBytes: number;
  /** Largest Engine.IO frame on this namespace; larger: the connection is closed. */
  readonly maxFrameBytes: number;
  readonly maxSubscriptions: number;
  /** Messages per second per socket, plus a burst per 10 s; past them: RATE_LIMITED. */
  readonly messagesPerSecond: number;
  readonly burst: number;
  /** Continuously rate-limited this long: disconnected (RATE_LIMITED). */
  readonly rateLimitDisconnectSeconds: number;
  /** Outbound data buffered for this connection past this: disconnected (SLOW_CONSUMER). */
  readonly maxBufferedBytes: number;
  /**
   * Nothing received this long, heartbeat answers included: the peer is taken for dead and closed.
   * Clients answer the heartbeat by themselves, so a client that only listens is never closed. 0: none.
   */
  readonly idleTimeoutSeconds: number;
  /** After exp, a socket that did not refresh its token has this long before AUTH_EXPIRED. */
  readonly tokenGraceSeconds: number;
}

/** Sent once on connect. */
export interface SessionPayload {
  readonly sessionId: string;
  readonly namespace: string;
  readonly node: string;
  readonly user: {
    readonly id: string;
    readonly companyId: string;
    readonly branchIds: readonly string[];
    readonly roles: readonly Role[];
  };
  readonly limits: SessionLimits;
  /** Token `exp`, epoch milliseconds. */
  readonly tokenExpiresAt: number;
  readonly serverTime: number;
}

/** This server is shutting down: reconnect (to another node) after `reconnectAfterMs`. */
export interface ServerDrainingPayload {
  readonly reconnectAfterMs: number;
}

/** Why the server ends a session; sent as `session:ended` right before it disconnects. */
export type EndReason = Extract<ErrorCode, 'AUTH_EXPIRED' | 'REVOKED' | 'KICKED' | 'RATE_LIMITED' | 'SLOW_CONSUMER' | 'IDLE_TIMEOUT'>;

export interface SessionEndedPayload {
  readonly reason: EndReason;
  readonly message: string;
}

/** Sent `EXPIRING_NOTICE_SECONDS` before the token's `exp`: send `auth:refresh` with a newer token. */
export interface AuthExpiringPayload {
  readonly expiresAt: number;
  /** Seconds after expiresAt before the socket is disconnected (AUTH_EXPIRED). */
  readonly graceSeconds: number;
}

export interface RefreshAck {
  readonly ok: true;
  readonly expiresAt: number;
  /** Channels the new token no longer allows; the socket left them. */
  readonly dropped: readonly string[];
}

/** Answer to `session:ping`: proof that this connection is alive end to end, and the server's clock. */
export interface PingAck {
  readonly ok: true;
  readonly serverTime: number;
}

/** Several events of one channel from one publish, in seq order. */
export interface BatchPayload {
  readonly channel: string;
  readonly epoch: string;
  readonly events: readonly Envelope[];
}

/** The live stream could not continue gap-free: reload state, then continue from (epoch, seq). */
export interface ChannelResetPayload {
  readonly channel: string;
  readonly epoch: string;
  readonly seq: number;
  readonly reason: ResetReason;
}

export interface SubscribeRequest {
  readonly channel: string;
  readonly since?: Position;
}

export type SubscribeAck =
  | { readonly ok: true; readonly channel: string; readonly epoch: string; readonly seq: number }
  | {
      readonly ok: true;
      readonly channel: string;
      readonly epoch: string;
      readonly seq: number;
      readonly recovered: true;
      readonly missed: number;
    }
  | {
      readonly ok: true;
      readonly channel: string;
      readonly epoch: string;
      readonly seq: number;
      readonly recovered: false;
      readonly reason: NotRecoveredReason;
    };

export interface OkAck {
  readonly ok: true;
}

export interface ErrorAck {
  readonly ok: false;
  readonly error: ErrorBody;
}

export type Ack<T> = T | ErrorAck;

/** What every namespace's clients may send. */
export interface BaseClientToServerEvents {
  subscribe(request: SubscribeRequest, ack: (response: Ack<SubscribeAck>) => void): void;
  unsubscribe(request: { channel: string }, ack: (response: Ack<OkAck>) => void): void;
  'auth:refresh'(request: { token: string }, ack: (response: Ack<RefreshAck>) => void): void;
  'session:ping'(request: Record<string, never>, ack: (response: Ack<PingAck>) => void): void;
}

/** What every namespace's clients may receive, besides its domain events. */
export interface BaseServerToClientEvents {
  session(payload: SessionPayload): void;
  batch(payload: BatchPayload): void;
  'channel:reset'(payload: ChannelResetPayload): void;
  exception(payload: ErrorAck): void;
  'session:ended'(payload: SessionEndedPayload): void;
  'server:draining'(payload: ServerDrainingPayload): void;
  'auth:expiring'(payload: AuthExpiringPayload): void;
}

/** Per-socket state, typed (`socket.data`). */
export interface SocketData {
  principal: Principal;
  /** Client-facing channel names this socket follows. */
  subscriptions: Set<string>;
}

/** Maps each domain event name to a handler receiving its envelope. */
export type DomainEvents<Catalog extends object> = {
  [E in keyof Catalog & string]: (envelope: Envelope<Catalog[E]>) => void;
};
