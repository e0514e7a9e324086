import { Inject, Injectable } from '@nestjs/common';
import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Socket } from 'socket.io';
import { AppError, ErrorCode } from '../common/app.errors';
import { APP_CONFIG, type AppConfig } from '../config';
import { MetricsService } from '../metrics/metrics.service';
import { RedisConnections } from '../redis/redis-connections.service';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../common/json-depth';
import { exceedsBudget } from './payload-size';
import type { ErrorAck, SocketData } from './realtime.events';
import { endSession } from './session-end';

interface AbuseStreak {
  since: number;
  last: number;
}

/**
 * Limits on what a client sends, checked before any handler runs: message size, then rate per
 * socket (with a burst) and per user across the cluster. A refused message is answered in its ack
 * (PAYLOAD_TOO_LARGE, or RATE_LIMITED with retryAfterMs) and never reaches a handler; a socket
 * rate-limited without pause for RATE_LIMIT_DISCONNECT_SECONDS is disconnected.
 */
@Injectable()
export class InboundLimits {
  private readonly perSocket: RateLimiterAbstract | BurstyRateLimiter;
  private readonly perUser: RateLimiterAbstract;
  private readonly streaks = new WeakMap<Socket, AbuseStreak>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    redis: RedisConnections,
    private readonly metrics: MetricsService,
  ) {
    const { ratePerSocket, rateBurst, ratePerUser } = config.limits;
    // A socket lives on one process, so its own budget is local; no round trip per message.
    const steady = new RateLimiterMemory({ keyPrefix: 'socket', points: ratePerSocket, duration: 1 });
    this.perSocket =
      rateBurst > 0
        ? new BurstyRateLimiter(steady, new RateLimiterMemory({ keyPrefix: 'burst', points: rateBurst, duration: 10 }))
        : steady;
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
      socket.use((packet, nextPacket) => {
        const last: unknown = packet[packet.length - 1];
        const ack = typeof last === 'function' ? (last as (response: ErrorAck) => void) : undefined;
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
        void this.admit(socket).then((retryAfterMs) => {
          if (retryAfterMs === undefined) {
            nextPacket();
            return;
          }
          const error = new AppError(ErrorCode.RATE_LIMITED, 'too many messages; slow down', { retryAfterMs });
          ack?.({ ok: false, error: error.toBody() });
        });
      });
      next();
    };
  }

  /** Resolves undefined when the message may pass, else the milliseconds to wait. */
  private async admit(socket: Socket): Promise<number | undefined> {
    const principal = (socket.data as SocketData).principal;
    try {
      await Promise.all([this.perSocket.consume(socket.id), this.perUser.consume(`${principal.companyId}/${principal.id}`)]);
      return undefined;
    } catch (rejection) {
      // A store error (not a verdict) lets the message through: limits must not become an outage.
      if (!(rejection instanceof RateLimiterRes)) return undefined;
      this.metrics.rateLimited.inc();
      this.noteAbuse(socket);
      return Math.max(1, rejection.msBeforeNext);
    }
  }

  private noteAbuse(socket: Socket): void {
    const now = Date.now();
    const streak = this.streaks.get(socket);
    // A streak is broken by a full second without a rejection.
    if (!streak || now - streak.last > 1000) {
      this.streaks.set(socket, { since: now, last: now });
      return;
    }
    streak.last = now;
    if (now - streak.since >= this.config.limits.rateDisconnectSeconds * 1000) {
      endSession(socket, ErrorCode.RATE_LIMITED, `rate-limited for ${this.config.limits.rateDisconnectSeconds} s without pause`);
    }
  }
}
