import type { ArgumentMetadata } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import { parseChannel, tryParseChannel } from '../channels/channel-name';
import { canSubscribe } from '../channels/channel-policy';
import { AppError, ErrorCode, INTERNAL_ERROR_BODY, type ErrorBody } from '../common/app.errors';
import type { AppConfig } from '../config';
import type { MetricsService } from '../metrics/metrics.service';
import { RefreshDto } from '../realtime/dto/refresh.dto';
import { SubscribeDto } from '../realtime/dto/subscribe.dto';
import { UnsubscribeDto } from '../realtime/dto/unsubscribe.dto';
import { RealtimeEvent, type OkAck, type PingAck, type RefreshAck } from '../realtime/realtime.events';
import type { SessionTokens } from '../realtime/session-tokens.service';
import { FLOOD_FACTOR } from '../realtime/inbound-limits.service';
import { SocketBudget } from '../realtime/socket-budget';
import { WsValidationPipe } from '../realtime/ws-validation.pipe';
import type { StreamSessions } from './stream-sessions.service';
import type { WsSession } from './ws-session';

/** Refusals answered per second; past them a flood is dropped unanswered, then the connection ends. */
const ANSWERED_REFUSALS_PER_SECOND = 10;

const pipe = new WsValidationPipe();

/** The same DTO checks as the Socket.IO gateways (whitelist, types, nesting), or the typed error. */
async function validated<T>(metatype: new () => T, data: unknown): Promise<T> {
  const metadata: ArgumentMetadata = { type: 'body', metatype };
  try {
    return (await pipe.transform(data, metadata)) as T;
  } catch (error) {
    if (error instanceof WsException) throw new AppErrorBody(error.getError() as ErrorBody);
    throw error;
  }
}

/** A body that is already the wire shape (the pipe's WsException carries one). */
class AppErrorBody extends Error {
  constructor(readonly body: ErrorBody) {
    super(body.message);
  }
}

/**
 * What a plain WebSocket may send once authenticated: `subscribe`, `unsubscribe`, `auth:refresh`
 * and `session:ping`, with the payloads and acks of the Socket.IO protocol, under the same
 * per-connection message budget (RATE_LIMITED, then disconnection after RATE_LIMIT_DISCONNECT_SECONDS).
 */
export class WsStreamCommands {
  private readonly budget: SocketBudget;
  private streakSince = 0;
  private streakLast = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly sessions: StreamSessions,
    private readonly tokens: SessionTokens,
    private readonly metrics: MetricsService,
  ) {
    this.budget = new SocketBudget(config.limits.ratePerSocket, config.limits.rateBurst);
  }

  handle(session: WsSession, frame: { event: string; data?: unknown; ack?: number }): void {
    const now = Date.now();
    if (!this.budget.take(now)) {
      this.refuse(session, frame.ack, now);
      return;
    }
    this.run(session, frame.event, frame.data).then(
      (body) => {
        if (frame.ack !== undefined) session.answer(frame.ack, body);
      },
      (error: unknown) => session.fail(frame.ack, bodyOf(error)),
    );
  }

  private async run(session: WsSession, event: string, data: unknown): Promise<unknown> {
    switch (event) {
      case RealtimeEvent.SUBSCRIBE: {
        const request = await validated(SubscribeDto, data);
        return this.sessions.subscribe(session, request.channel, request.since);
      }
      case RealtimeEvent.UNSUBSCRIBE: {
        const request = await validated(UnsubscribeDto, data);
        session.leave(parseChannel(request.channel).name);
        return { ok: true } satisfies OkAck;
      }
      case RealtimeEvent.AUTH_REFRESH: {
        const request = await validated(RefreshDto, data);
        return this.refresh(session, request.token);
      }
      case RealtimeEvent.SESSION_PING:
        return { ok: true, serverTime: Date.now() } satisfies PingAck;
      default:
        throw new AppError(ErrorCode.VALIDATION_FAILED, `unknown event "${event}": subscribe, unsubscribe, auth:refresh or session:ping`, [
          { path: 'event', errors: ['unknown event'] },
        ]);
    }
  }

  /** As on Socket.IO: a newer token for the same user; channels it no longer allows are left. */
  private refresh(session: WsSession, token: string): RefreshAck {
    const next = this.tokens.verifyRefresh(session.principal, session.namespace, token);
    session.principal = next;
    const dropped: string[] = [];
    for (const name of [...session.subscriptions]) {
      const channel = tryParseChannel(name);
      if (channel && canSubscribe(next, channel)) continue;
      session.leave(name);
      dropped.push(name);
    }
    this.sessions.track(session);
    return { ok: true, expiresAt: next.expiresAt, dropped };
  }

  private refuse(session: WsSession, ack: number | undefined, now: number): void {
    this.metrics.rateLimited.inc();
    const refused = this.budget.refusedInWindow;
    const floodAt = FLOOD_FACTOR * (this.config.limits.ratePerSocket + this.config.limits.rateBurst);
    if (refused > floodAt) {
      session.end(ErrorCode.RATE_LIMITED, `more than ${floodAt} messages over the rate limit in one second`);
      return;
    }
    if (refused <= ANSWERED_REFUSALS_PER_SECOND) {
      session.fail(ack, {
        code: ErrorCode.RATE_LIMITED,
        message: 'too many messages; slow down',
        details: { retryAfterMs: this.budget.retryAfterMs(now) },
      });
    }
    // A streak is broken by a full second without a refusal.
    if (now - this.streakLast > 1000) this.streakSince = now;
    this.streakLast = now;
    if (now - this.streakSince >= this.config.limits.rateDisconnectSeconds * 1000) {
      session.end(ErrorCode.RATE_LIMITED, `rate-limited for ${this.config.limits.rateDisconnectSeconds} s without pause`);
    }
  }
}

function bodyOf(error: unknown): ErrorBody {
  if (error instanceof AppErrorBody) return error.body;
  if (error instanceof AppError) return error.toBody();
  return INTERNAL_ERROR_BODY;
}
