import { Inject, Injectable } from '@nestjs/common';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Socket } from 'socket.io';
import { AppError, ErrorCode } from '../common/app.errors';
import { APP_CONFIG, type AppConfig } from '../config';
import { MetricsService } from '../metrics/metrics.service';
import { RedisConnections } from '../redis/redis-connections.service';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../common/json-depth';
import { exceedsBudget } from './payload-size';
import { RealtimeEvent, type ErrorAck, type SocketData } from './realtime.events';
import { endSession } from './session-end';
import { SocketBudget } from './socket-budget';

/** Per-socket state of the inbound checks. */
interface InboundState {
  readonly budget: SocketBudget;
  /** The per-user budget (shared across nodes) refused a message: refuse locally until then. */
  userBlockedUntil: number;
  /** Continuous rate limiting: since when, and the last refusal (a second without one breaks it). */
  streakSince: number;
  streakLast: number;
  /** Admitted messages waiting for their turn: a socket's messages run one per event-loop turn. */
  readonly admitted: (() => void)[];
  turnScheduled: boolean;
}

/** Refusals answered per socket per second; later ones in that second are dropped unanswered. */
export const ANSWERED_REFUSALS_PER_SECOND = 20;
/** A socket that sends this many times its budget in one second is flooding: disconnected at once. */
export const FLOOD_FACTOR = 5;

/**
 * Limits on what a client sends, checked before any handler runs: the socket's rate first (it is
 * the cheapest check, and a flood must cost nothing else), then message size and nesting depth,
 * then the user's rate across the cluster. Refusals are answered in the ack (RATE_LIMITED with
 * retryAfterMs, PAYLOAD_TOO_LARGE, VALIDATION_FAILED) and never reach a handler.
 *
 * What a flood costs is bounded (issue 13): a refused message is a counter and a comparison;
 * only the first ANSWERED_REFUSALS_PER_SECOND refusals of a second are answered, the rest are
 * dropped unanswered; a socket over FLOOD_FACTOR times its budget in one second is disconnected
 * at once, and one rate-limited without pause for RATE_LIMIT_DISCONNECT_SECONDS too. A user the
 * shared budget refused is refused locally until its window ends, without asking Redis again.
 */
@Injectable()
export class InboundLimits {
  private readonly perUser: RateLimiterAbstract;
  private readonly floodAt: number;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    redis: RedisConnections,
    private readonly metrics: MetricsService,
  ) {
    const { ratePerSocket, rateBurst, ratePerUser } = config.limits;
    this.floodAt = FLOOD_FACTOR * (ratePerSocket + rateBurst);
    // A user's sockets may sit on many processes: that budget is shared through Redis, with a local
    // insurance limiter so a Redis outage degrades to per-process limits instead of no limits.
    const userLocal = new RateLimiterMemory({ keyPrefix: 'user', points: ratePerUser, duration: 1 });
    this.perUser = redis.enabled
      ? new RateLimiterRedis({
          storeClient: redis.get('state'),
          keyPrefix: 'sb:rl:user',
          points: ratePerUser,
          duration: 1,
          insuranceLimiter: userLocal,
          rejectIfRedisNotReady: true,
        })
      : userLocal;
  }

  /** Handshake middleware: per-socket state, then the per-message checks via `socket.use`. */
  middleware() {
    return (socket: Socket, next: (error?: Error) => void): void => {
      (socket.data as Partial<SocketData>).subscriptions = new Set();
      // Made at the socket's first message, not at its handshake: many sockets only listen
      // (issue 14, handshakes/s and heap per connection).
      let lazyState: InboundState | undefined;
      socket.use((packet, nextPacket) => {
        // What a flood already had in the read buffer when its socket was ended costs nothing more.
        if (socket.disconnected) return;
        const state = (lazyState ??= {
          budget: new SocketBudget(this.config.limits.ratePerSocket, this.config.limits.rateBurst),
          userBlockedUntil: 0,
          streakSince: 0,
          streakLast: 0,
          admitted: [],
          turnScheduled: false,
        });
        const last: unknown = packet[packet.length - 1];
        const ack = typeof last === 'function' ? (last as (response: ErrorAck) => void) : undefined;
        const now = Date.now();
        if (now < state.userBlockedUntil) {
          state.budget.noteRefused(now);
          this.refuse(socket, state, ack, now, state.userBlockedUntil - now);
          return;
        }
        if (!state.budget.take(now)) {
          this.refuse(socket, state, ack, now, state.budget.retryAfterMs(now));
          return;
        }
        const args = ack ? packet.slice(1, -1) : packet.slice(1);
        if (exceedsBudget(args, this.config.limits.maxMessageBytes)) {
          const error = new AppError(ErrorCode.PAYLOAD_TOO_LARGE, `messages are limited to ${this.config.limits.maxMessageBytes} bytes`, {
            limit: this.config.limits.maxMessageBytes,
          });
          ack?.({ ok: false, error: error.toBody() });
          return;
        }
        // Bounded by the size check above; no handler, pipe or transformer then recurses deeper.
        if (nestedDeeperThan(args)) {
          const message = `messages may nest at most ${MAX_JSON_DEPTH} levels`;
          ack?.({ ok: false, error: new AppError(ErrorCode.VALIDATION_FAILED, message, [{ path: '', errors: [message] }]).toBody() });
          return;
        }
        // Socket.IO drops an event nobody listens to, and its ack would never be answered. (A count,
        // not listeners(): that copies the listener array, on every message.)
        const event: unknown = packet[0];
        if (typeof event !== 'string' || socket.listenerCount(event) === 0) {
          const message = `unknown event ${JSON.stringify(event)} on ${socket.nsp.name}`;
          const body: ErrorAck = {
            ok: false,
            error: new AppError(ErrorCode.VALIDATION_FAILED, message, [{ path: 'event', errors: [message] }]).toBody(),
          };
          if (ack) ack(body);
          else socket.emit(RealtimeEvent.EXCEPTION, body);
          return;
        }
        const { principal } = socket.data as SocketData;
        this.perUser.consume(`${principal.companyId}/${principal.id}`).then(
          () => takeTurn(state, nextPacket),
          (rejection: unknown) => {
            // A store error (not a verdict) lets the message through: limits must not become an outage.
            if (!(rejection instanceof RateLimiterRes)) return takeTurn(state, nextPacket);
            const at = Date.now();
            state.userBlockedUntil = at + Math.max(1, rejection.msBeforeNext);
            state.budget.noteRefused(at);
            this.refuse(socket, state, ack, at, state.userBlockedUntil - at);
          },
        );
      });
      next();
    };
  }

  private refuse(
    socket: Socket,
    state: InboundState,
    ack: ((response: ErrorAck) => void) | undefined,
    now: number,
    retryAfterMs: number,
  ): void {
    this.metrics.rateLimited.inc();
    const refused = state.budget.refusedInWindow;
    if (refused > this.floodAt) {
      // Stop reading at once (the rest of the flood stays in the kernel, unparsed), then end the
      // whole connection: once it is closing, Engine.IO drops what was already read.
      stopReading(socket);
      endSession(socket, ErrorCode.RATE_LIMITED, `more than ${this.floodAt} messages over the rate limit in one second`, true);
      return;
    }
    if (refused <= ANSWERED_REFUSALS_PER_SECOND) {
      ack?.({ ok: false, error: { code: ErrorCode.RATE_LIMITED, message: 'too many messages; slow down', details: { retryAfterMs } } });
    }
    // A streak is broken by a full second without a refusal.
    if (now - state.streakLast > 1000) state.streakSince = now;
    state.streakLast = now;
    if (now - state.streakSince >= this.config.limits.rateDisconnectSeconds * 1000) {
      endSession(socket, ErrorCode.RATE_LIMITED, `rate-limited for ${this.config.limits.rateDisconnectSeconds} s without pause`);
    }
  }
}

/**
 * Runs a socket's admitted messages one per event-loop turn, in order. A client may spend its
 * whole budget at once (150 messages with the defaults); handled back to back, in one turn, they
 * would hold the event loop for every other tenant. One per turn per socket interleaves them
 * with everyone else's work: a burst costs its sender latency, not its neighbours.
 */
function takeTurn(state: InboundState, run: () => void): void {
  state.admitted.push(run);
  if (state.turnScheduled) return;
  state.turnScheduled = true;
  const turn = () => {
    state.admitted.shift()?.();
    if (state.admitted.length > 0) setImmediate(turn);
    else state.turnScheduled = false;
  };
  setImmediate(turn);
}

/**
 * Pauses the TCP socket under a WebSocket transport (long-polling requests are bounded anyway),
 * and destroys it a second later: a paused socket cannot read the close handshake's answer.
 */
function stopReading(socket: Socket): void {
  const transport = (socket.conn as unknown as { transport?: { socket?: { _socket?: { pause(): void; destroy(): void } } } }).transport;
  const tcp = transport?.socket?._socket;
  if (!tcp) return;
  tcp.pause();
  setTimeout(() => tcp.destroy(), 1000).unref();
}
