import type { Manager, Socket } from 'socket.io-client';
import { Backoff, type BackoffOptions } from './backoff.js';
import { ClientErrorCode, fromConnectError, SwitchboardError } from './errors.js';
import type { TokenSource } from './token-source.js';
import type {
  AuthExpiringPayload,
  ConnectionState,
  SessionEndedPayload,
  SessionPayload,
  ServerDrainingPayload,
  StateChange,
} from './types.js';
import type { WakeReason } from './wake.js';

export interface ConnectionOptions {
  readonly backoff?: BackoffOptions;
  /** A connection attempt that has not produced a `session` within this long is abandoned and retried. Default 20 s. */
  readonly connectTimeoutMs?: number;
  /** How long the liveness check after a wake may take before the connection is replaced. Default 3 s. */
  readonly probeTimeoutMs?: number;
  /** After this long connected, the backoff starts again from its first step. Default 10 s. */
  readonly stableAfterMs?: number;
}

export interface ConnectionEvents {
  session(session: SessionPayload): void;
  /** The namespace connection is gone (subscriptions must be sent again on the next session). */
  lost(): void;
  state(change: StateChange): void;
  error(error: SwitchboardError): void;
}

/** Auth failures a fresh token can fix, when there is getToken() to ask for one. */
const TOKEN_CODES = new Set(['AUTH_EXPIRED', 'AUTH_INVALID', 'AUTH_MISSING', 'REVOKED']);
/** A rate-limited session is not reopened sooner than this. */
const RATE_LIMIT_PAUSE_MS = 5_000;

/**
 * Keeps one namespace connected, the way docs/protocol.md asks a client to behave: reconnect with
 * exponential backoff and full jitter after any loss; fetch a new token and retry when the server
 * refused or ended the session for the token; stop for good on FORBIDDEN or a token that cannot be
 * refreshed; after `server:draining`, wait the advised time and then move (through the load
 * balancer) to another server; after a wake, check the connection end to end and replace it when
 * it is dead. Socket.IO's own reconnection is off: it cannot tell these cases apart, and it does
 * not reconnect after a server-side disconnect at all.
 */
export class ConnectionSupervisor {
  private current: ConnectionState = 'idle';
  private readonly backoff: Backoff;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private stableTimer: ReturnType<typeof setTimeout> | undefined;
  private drainTimer: ReturnType<typeof setTimeout> | undefined;
  private drainUntil = 0;
  private ended: SessionEndedPayload | undefined;
  private probing = false;
  private session: SessionPayload | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly manager: Manager,
    private readonly tokens: TokenSource,
    private readonly events: ConnectionEvents,
    private readonly options: ConnectionOptions = {},
  ) {
    this.backoff = new Backoff(options.backoff);
    socket.on('session', (session: SessionPayload) => this.onSession(session));
    socket.on('connect_error', (error: Error) => this.onConnectError(error));
    socket.on('disconnect', (reason: string) => this.onDisconnect(reason));
    socket.on('session:ended', (payload: SessionEndedPayload) => (this.ended = payload));
    socket.on('server:draining', (payload: ServerDrainingPayload) => this.onDraining(payload));
    socket.on('auth:expiring', (payload: AuthExpiringPayload) => this.onExpiring(payload));
  }

  get state(): ConnectionState {
    return this.current;
  }

  get connectedSession(): SessionPayload | undefined {
    return this.session;
  }

  start(): void {
    if (this.current === 'idle') void this.connect();
  }

  /** Reconnects at once if not connected (backoff reset); if connected, proves the connection alive or replaces it. */
  async wake(_reason: WakeReason): Promise<void> {
    if (this.current === 'closed' || this.current === 'failed') return;
    if (this.current === 'waiting') {
      this.backoff.reset();
      void this.connect();
      return;
    }
    if (this.current !== 'connected' || this.probing) return;
    this.probing = true;
    try {
      await this.socket.timeout(this.options.probeTimeoutMs ?? 3_000).emitWithAck('session:ping', {});
    } catch {
      // No answer: the connection died while we slept (a half-open TCP looks connected for up to 45 s).
      if (this.current === 'connected') {
        this.backoff.reset();
        this.manager.engine?.close();
      }
    } finally {
      this.probing = false;
    }
  }

  /** Leaves a `failed` state (after the application fixed what made it fail) and connects now. */
  restart(): void {
    if (this.current === 'closed') return;
    if (this.current === 'failed' || this.current === 'waiting' || this.current === 'idle') {
      this.backoff.reset();
      void this.connect();
    }
  }

  close(): void {
    if (this.current === 'closed') return;
    this.clearTimers();
    this.setState({ state: 'closed' });
    this.socket.disconnect();
    this.session = undefined;
  }

  private async connect(): Promise<void> {
    if (this.current === 'closed' || this.current === 'connecting' || this.current === 'connected') return;
    this.clearTimer('retryTimer');
    this.setState({ state: 'connecting' });
    try {
      await this.tokens.current();
    } catch (error) {
      this.retry(error as SwitchboardError);
      return;
    }
    // The token took a while: close() or a session on the shared connection may have come first.
    if ((this.current as ConnectionState) !== 'connecting') return;
    this.socket.connect();
    this.connectTimer = setTimeout(() => {
      if (this.current !== 'connecting') return;
      this.socket.disconnect();
      this.retry(new SwitchboardError(ClientErrorCode.TIMEOUT, 'no session within the connect timeout'));
    }, this.options.connectTimeoutMs ?? 20_000);
  }

  private onSession(session: SessionPayload): void {
    if (this.current === 'closed') return;
    this.clearTimer('connectTimer');
    this.clearTimer('retryTimer');
    this.session = session;
    this.ended = undefined;
    this.tokens.setServerClock(session.serverTime);
    this.stableTimer = setTimeout(() => this.backoff.reset(), this.options.stableAfterMs ?? 10_000);
    this.setState({ state: 'connected' });
    this.events.session(session);
  }

  private onConnectError(raw: Error): void {
    if (this.current === 'closed') return;
    this.clearTimer('connectTimer');
    const error = fromConnectError(raw);
    if (TOKEN_CODES.has(error.code)) {
      if (!this.tokens.canRefresh) return this.fail(error);
      this.tokens.invalidate();
      // An expired token is expected (a laptop woke up after exp): retry at once with a new one.
      return this.retry(error, error.code === 'AUTH_EXPIRED' && this.backoff.attempts === 0 ? 0 : undefined);
    }
    if (error.code === 'FORBIDDEN') return this.fail(error);
    this.retry(error);
  }

  private onDisconnect(reason: string): void {
    this.clearTimer('stableTimer');
    this.clearTimer('connectTimer');
    this.session = undefined;
    this.events.lost();
    if (this.current === 'closed' || reason === 'io client disconnect') return;
    const ended = this.ended;
    this.ended = undefined;
    if (reason !== 'io server disconnect') {
      return this.retry(new SwitchboardError(ClientErrorCode.DISCONNECTED, `connection lost (${reason})`));
    }
    const error = new SwitchboardError(ended?.reason ?? 'SLOW_CONSUMER', ended?.message ?? 'the server ended the session');
    switch (ended?.reason) {
      case 'AUTH_EXPIRED':
      case 'REVOKED':
        if (!this.tokens.canRefresh) return this.fail(error);
        this.tokens.invalidate();
        return this.retry(error, ended.reason === 'AUTH_EXPIRED' ? 0 : undefined);
      case 'KICKED':
        // An admin ended this user's sessions: coming straight back would undo it. The token
        // still works, so restart() (or a reload) connects again.
        return this.fail(error);
      case 'RATE_LIMITED':
        return this.retry(error, Math.max(RATE_LIMIT_PAUSE_MS, this.backoff.next()));
      default:
        // SLOW_CONSUMER, IDLE_TIMEOUT, or a disconnect without a reason (a slow consumer may miss it).
        return this.retry(error);
    }
  }

  private onDraining(payload: ServerDrainingPayload): void {
    const after = Math.max(0, Number(payload?.reconnectAfterMs) || 0);
    this.drainUntil = Date.now() + after;
    this.clearTimer('drainTimer');
    // If this server has not closed the connection by then, leave it: a new one reaches another server.
    this.drainTimer = setTimeout(() => {
      if (this.current === 'connected') this.manager.engine?.close();
    }, after);
  }

  private onExpiring(payload: AuthExpiringPayload): void {
    if (this.tokens.canRefresh) {
      this.tokens.onServerNotice(Number(payload?.expiresAt) || 0);
      return;
    }
    this.events.error(new SwitchboardError('AUTH_EXPIRED', 'the token is about to expire and there is no getToken() to refresh it'));
  }

  private retry(error: SwitchboardError, delayMs?: number): void {
    if (this.current === 'closed' || this.current === 'failed') return;
    const wait = Math.max(delayMs ?? this.backoff.next(), this.drainUntil - Date.now());
    this.clearTimer('retryTimer');
    this.setState({ state: 'waiting', error, retryAt: Date.now() + wait });
    this.retryTimer = setTimeout(() => void this.connect(), wait);
  }

  private fail(error: SwitchboardError): void {
    this.clearTimers();
    this.socket.disconnect();
    this.setState({ state: 'failed', error });
    this.events.error(error);
  }

  private setState(change: StateChange): void {
    this.current = change.state;
    this.events.state(change);
  }

  private clearTimer(name: 'retryTimer' | 'connectTimer' | 'stableTimer' | 'drainTimer'): void {
    const timer = this[name];
    if (timer !== undefined) clearTimeout(timer);
    this[name] = undefined;
  }

  private clearTimers(): void {
    for (const name of ['retryTimer', 'connectTimer', 'stableTimer', 'drainTimer'] as const) this.clearTimer(name);
  }
}
