import { randomUUID } from 'node:crypto';
import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../common/principal';
import { StreamTickets } from '../auth/stream-tickets.service';
import type { Position } from '../bus/envelope';
import { parseChannel } from '../channels/channel-name';
import { canSubscribe } from '../channels/channel-policy';
import { AppError, ErrorCode, INTERNAL_ERROR_BODY } from '../common/app.errors';
import { APP_CONFIG, type AppConfig } from '../config';
import { MetricsService } from '../metrics/metrics.service';
import { requestIp } from '../realtime/engine-admission.service';
import { parseEventId } from './sse-event-id';
import { SseSession } from './sse-session';
import { StreamSessions } from './stream-sessions.service';
import { ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../openapi/api-errors.decorator';
import { RealtimeEvent } from '../realtime/realtime.events';

/** The browser's reconnect delay after a broken stream (the SSE `retry` field). */
export const SSE_RETRY_MS = 2000;
/** A closed stream's resume key stays redeemable this long: the browser's reconnect comes within seconds. */
export const RESUME_WINDOW_MS = 60_000;

interface SseQuery {
  readonly ticket?: unknown;
  readonly namespace?: unknown;
  readonly channel?: unknown;
  readonly lastEventId?: unknown;
}

/**
 * `GET /v1/sse?ticket=…&namespace=orders&channel=branch:b1&channel=company:c1`: the channels of
 * one namespace as a `text/event-stream` (docs/protocol.md, "Server-Sent Events"). Everything a
 * request can get wrong is answered before the stream starts, as a typed JSON error with its
 * HTTP status (an `EventSource` then stops retrying): the ticket, the namespace and its roles,
 * every channel's name and policy, and the connection limits.
 */
@ApiTags('streams')
@Controller('v1/sse')
export class SseController {
  constructor(
    private readonly tickets: StreamTickets,
    private readonly sessions: StreamSessions,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'A Server-Sent Events stream of one namespace’s channels (docs/protocol.md §15)',
    description: 'Authenticate with a stream ticket (`?ticket=`, from POST /v1/stream-tickets). Resumes exactly from Last-Event-ID.',
  })
  @ApiQuery({ name: 'namespace', enum: ['orders', 'availability', 'sync'] })
  @ApiQuery({ name: 'channel', description: 'Repeat for several channels', isArray: true, type: 'string' })
  @ApiQuery({ name: 'ticket', required: false })
  @ApiQuery({ name: 'lastEventId', required: false, description: 'For clients that cannot set the Last-Event-ID header' })
  @ApiProduces('text/event-stream')
  @ApiResponse({ status: 200, description: 'The stream: `session`, then events and acks as SSE messages' })
  @ApiErrors(400, 401, 403, 503)
  async open(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const query = request.query as SseQuery;
    const ip = requestIp(request.raw, this.config.limits.trustProxy);
    const channels = this.channelsOf(query.channel);
    const resume = this.resumeOf(request.headers['last-event-id'], query.lastEventId);
    const principal = await this.authenticate(resume.key, query.ticket, ip);
    const namespace = this.sessions.admit(query.namespace, principal, ip);
    let key: string;
    try {
      for (const channel of channels) {
        if (!canSubscribe(principal, parseChannel(channel)))
          throw new AppError(ErrorCode.FORBIDDEN, `not allowed to subscribe to ${channel}`);
      }
      // The key the browser will bring back in Last-Event-ID: valid while the stream is open and
      // RESUME_WINDOW_MS after, never past the token's expiry.
      const now = Date.now();
      ({ ticket: key } = await this.tickets.issue(principal, now, principal.expiresAt - now));
    } catch (error) {
      this.sessions.unadmit(ip, principal);
      throw error;
    }

    reply.hijack();
    const session = new SseSession(randomUUID(), principal, namespace, ip, this.sessions, reply.raw, key);
    this.sessions.add(session);
    // The response's 'close': the client went away, or the server ended the stream.
    reply.raw.once('close', () => {
      session.transportClosed();
      // A kicked stream must not resume: the browser's EventSource reconnects by itself.
      void this.tickets.shorten(key, session.endedBy === 'KICKED' ? 0 : RESUME_WINDOW_MS).catch(() => undefined);
    });
    session.open(headersOf(reply), SSE_RETRY_MS);
    session.send(RealtimeEvent.SESSION, this.sessions.sessionPayload(session));
    for (const channel of channels) {
      const since = resume.positions.get(channel);
      session.startAt(channel, since);
      try {
        const ack = await this.sessions.subscribe(session, channel, since);
        if (session.closed) return;
        session.subscribed(ack);
      } catch (error) {
        if (session.closed) return;
        // Only what may pass later gets here (storage unavailable): close, and the browser's
        // reconnect (Last-Event-ID) tries again after `retry`.
        session.subscribeFailed(channel, error instanceof AppError ? error.toBody() : INTERNAL_ERROR_BODY);
        session.close('subscribe_failed');
        return;
      }
    }
  }

  /** `channel` once or more: 1 to MAX_SUBSCRIPTIONS_PER_SOCKET distinct valid names, in order. */
  private channelsOf(value: unknown): string[] {
    const list = value === undefined ? [] : Array.isArray(value) ? (value as unknown[]) : [value];
    const max = this.config.limits.maxSubscriptionsPerSocket;
    if (list.length === 0) throw validation('channel', 'at least one channel= is required');
    if (list.length > max) throw new AppError(ErrorCode.LIMIT_EXCEEDED, `a stream may follow at most ${max} channels`, { limit: max });
    const names = list.map((item, index) => parseChannel(item, `channel[${index}]`).name);
    return [...new Set(names)];
  }

  /**
   * Where to resume from: the browser's `Last-Event-ID` header (with the stream's resume key), or a
   * `lastEventId` query parameter with positions only (a client that opens a new stream with a new
   * ticket). A key in a URL is refused: credentials never travel in URLs.
   */
  private resumeOf(header: string | string[] | undefined, fromQuery: unknown): { key?: string; positions: ReadonlyMap<string, Position> } {
    if (typeof header === 'string' && header !== '') {
      const id = parseEventId(header);
      if (!id) throw validation('Last-Event-ID', 'not an event id of this stream');
      return id;
    }
    if (fromQuery === undefined) return { positions: new Map() };
    const id = typeof fromQuery === 'string' ? parseEventId(fromQuery) : undefined;
    if (!id) throw validation('lastEventId', 'not an event id of this stream');
    if (id.key !== undefined) {
      throw validation(
        'lastEventId',
        'must hold positions only: drop the first word (the resume key) of the event id; keys never go in URLs',
      );
    }
    return id;
  }

  /** The resume key when the browser reconnects, else the ticket; either is spent by this use. */
  private async authenticate(key: string | undefined, ticket: unknown, ip: string): Promise<Principal> {
    try {
      if (key !== undefined) {
        try {
          return await this.tickets.redeem(key);
        } catch (error) {
          // A client may send its own Last-Event-ID with a fresh ticket: the ticket decides then.
          if (ticket === undefined || !(error instanceof AppError) || error.code !== ErrorCode.AUTH_INVALID) throw error;
        }
      }
      if (ticket === undefined) throw new AppError(ErrorCode.AUTH_MISSING, 'ticket= is required (POST /v1/stream-tickets with your token)');
      return await this.tickets.redeem(ticket);
    } catch (error) {
      if (error instanceof AppError) this.metrics.recordAuthFailure({ code: error.code, where: '/v1/sse', ip });
      throw error;
    }
  }
}

function validation(path: string, message: string): AppError {
  return new AppError(ErrorCode.VALIDATION_FAILED, `${path}: ${message}`, [{ path, errors: [message] }]);
}

/** Headers Fastify's hooks set on the reply (CORS, request id), for the hijacked response. */
function headersOf(reply: FastifyReply): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return headers;
}
