import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Principal } from '../common/principal';
import { StreamTickets } from '../auth/stream-tickets.service';
import { TokenVerifier } from '../auth/token-verifier.service';
import { AppError, ErrorCode, INTERNAL_ERROR_BODY, type ErrorBody } from '../common/app.errors';
import { MAX_JSON_DEPTH, JsonDepthScanner } from '../common/json-depth';
import { isOriginAllowed } from '../common/origin-policy';
import { APP_CONFIG, type AppConfig } from '../config';
import { MetricsService } from '../metrics/metrics.service';
import { requestIp } from '../realtime/engine-admission.service';
import { SessionTokens } from '../realtime/session-tokens.service';
import { WsStreamCommands } from './ws-commands';
import { WsClose, WsSession } from './ws-session';
import { StreamSessions } from './stream-sessions.service';
import { WS_MISSED_PINGS } from '../realtime/heartbeat';
import { RealtimeEvent } from '../realtime/realtime.events';

export const WS_PATH = '/v1/ws';

/** The first frame a plain WebSocket sends. */
export const WS_AUTH_EVENT = 'auth';

/** Frames a client may send behind `auth` before its answer. */
const MAX_PIPELINED = 32;

/** A client frame: an event, its payload, and an ack id when it wants an answer. */
interface ClientFrame {
  readonly event: string;
  readonly data?: unknown;
  readonly ack?: number;
}

/**
 * The plain WebSocket transport, `/v1/ws` on the same HTTP server as Socket.IO (the `ws`
 * package, which Engine.IO uses too). A connection proves who it is with its first frame,
 * `{"event":"auth","data":{"namespace":"/orders","token":"…"}}` (or `"ticket"`), within the
 * connect timeout; then it speaks the Socket.IO protocol's events as JSON frames (ws-commands.ts).
 */
@Injectable()
export class PlainWebSocketServer implements OnApplicationBootstrap, OnModuleDestroy {
  private server: WebSocketServer | undefined;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tickets: StreamTickets,
    private readonly verifier: TokenVerifier,
    private readonly sessions: StreamSessions,
    private readonly tokens: SessionTokens,
    private readonly metrics: MetricsService,
  ) {}

  onApplicationBootstrap(): void {
    const { limits } = this.config;
    this.server = new WebSocketServer({
      noServer: true,
      // Larger frames close the connection (1009), as Socket.IO's maxHttpBufferSize does.
      maxPayload: limits.maxFrameBytes,
      // Compression costs CPU per message and memory per connection; Socket.IO runs without it too.
      perMessageDeflate: false,
    });
    const http = this.adapterHost.httpAdapter.getHttpServer() as Server;
    http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      // Engine.IO answers its own path; any other path is left to its destroyUpgrade timer.
      if (pathOf(request.url) !== WS_PATH) return;
      this.upgrade(request, socket, head);
    });
  }

  onModuleDestroy(): void {
    // Sessions were told and closed by StreamSessions; this refuses connections still authenticating.
    for (const client of this.server?.clients ?? []) client.close(WsClose.SERVICE_RESTART, 'draining');
    this.server?.close();
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const origin = request.headers.origin;
    // A browser page from a foreign origin may open a WebSocket (no CORS there): refuse it here.
    if (origin !== undefined && !isOriginAllowed(this.config.cors, origin)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    this.server?.handleUpgrade(request, socket, head, (ws) => this.connected(ws, request));
  }

  private connected(ws: WebSocket, request: IncomingMessage): void {
    const ip = requestIp(request, this.config.limits.trustProxy);
    const commands = new WsStreamCommands(this.config, this.sessions, this.tokens, this.metrics);
    let session: WsSession | undefined;
    let authenticating = false;
    /** Frames pipelined behind `auth` (a client need not wait for its answer), run once it succeeds. */
    const pipelined: ClientFrame[] = [];
    const reply = (frame: ClientFrame | undefined, error: ErrorBody) => {
      const body = { ok: false, error };
      ws.send(JSON.stringify(frame?.ack === undefined ? { event: RealtimeEvent.EXCEPTION, data: body } : { ack: frame.ack, data: body }));
    };
    const refuse = (frame: ClientFrame | undefined, error: ErrorBody, close: number) => {
      reply(frame, error);
      ws.close(close, error.code);
    };
    const deadline = setTimeout(() => {
      if (!session)
        refuse(
          undefined,
          { code: ErrorCode.AUTH_MISSING, message: `send {"event":"auth"} within ${this.config.limits.connectTimeoutMs} ms` },
          WsClose.POLICY,
        );
    }, this.config.limits.connectTimeoutMs);
    deadline.unref();

    ws.on('error', () => undefined); // a frame over maxPayload, a broken socket: 'close' follows
    ws.on('pong', () => {
      if (session) session.lastSeen = Date.now();
    });
    ws.on('close', () => {
      clearTimeout(deadline);
      session?.transportClosed();
    });
    ws.on('message', (raw: RawData, isBinary: boolean) => {
      if (session) session.lastSeen = Date.now();
      const parsed = parseFrame(raw, isBinary, this.config.limits.maxMessageBytes);
      if ('error' in parsed) {
        if (session) session.fail(undefined, parsed.error);
        else refuse(undefined, parsed.error, WsClose.POLICY);
        return;
      }
      const frame = parsed.frame;
      if (session) {
        commands.handle(session, frame);
        return;
      }
      if (authenticating) {
        if (pipelined.length < MAX_PIPELINED) pipelined.push(frame);
        else refuse(frame, { code: ErrorCode.RATE_LIMITED, message: `at most ${MAX_PIPELINED} frames may wait for auth` }, WsClose.POLICY);
        return;
      }
      if (frame.event !== WS_AUTH_EVENT) {
        refuse(
          frame,
          { code: ErrorCode.AUTH_MISSING, message: 'the first frame must be {"event":"auth","data":{"namespace","token"|"ticket"}}' },
          WsClose.POLICY,
        );
        return;
      }
      authenticating = true;
      void this.authenticate(frame, ip).then(
        ({ principal, namespace }) => {
          clearTimeout(deadline);
          if (ws.readyState !== ws.OPEN) {
            this.sessions.unadmit(ip, principal);
            return;
          }
          session = new WsSession(
            randomUUID(),
            principal,
            namespace,
            ip,
            this.sessions,
            ws,
            WS_MISSED_PINGS * this.config.limits.streamHeartbeatSeconds * 1000,
          );
          this.sessions.add(session);
          session.send(RealtimeEvent.SESSION, this.sessions.sessionPayload(session));
          if (frame.ack !== undefined) session.answer(frame.ack, { ok: true });
          for (const next of pipelined.splice(0)) commands.handle(session, next);
        },
        (error: unknown) => refuse(frame, error instanceof AppError ? error.toBody() : INTERNAL_ERROR_BODY, WsClose.POLICY),
      );
    });
  }

  private async authenticate(frame: ClientFrame, ip: string) {
    const data = (frame.data ?? {}) as { namespace?: unknown; token?: unknown; ticket?: unknown };
    try {
      if (typeof data !== 'object' || data === null) throw new AppError(ErrorCode.VALIDATION_FAILED, 'auth data must be an object');
      let principal: Principal;
      if (typeof data.token === 'string') principal = this.verifier.verify(data.token);
      else if (data.ticket !== undefined) principal = await this.tickets.redeem(data.ticket);
      else throw new AppError(ErrorCode.AUTH_MISSING, 'auth needs "token" (a JWT) or "ticket" (POST /v1/stream-tickets)');
      const namespace = this.sessions.admit(data.namespace, principal, ip);
      return { principal, namespace };
    } catch (error) {
      if (error instanceof AppError && error.httpStatus === 401) this.metrics.recordAuthFailure({ code: error.code, where: WS_PATH, ip });
      throw error;
    }
  }
}

function pathOf(url: string | undefined): string {
  const end = url?.indexOf('?') ?? -1;
  return end === -1 ? (url ?? '') : (url ?? '').slice(0, end);
}

/** Text frame → `{event, data?, ack?}`, or the typed error (the connection stays). */
function parseFrame(raw: RawData, isBinary: boolean, maxBytes: number): { frame: ClientFrame } | { error: ErrorBody } {
  if (isBinary) return { error: { code: ErrorCode.VALIDATION_FAILED, message: 'frames are JSON text, not binary' } };
  const bytes = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw as ArrayBuffer);
  if (bytes.length > maxBytes) {
    return {
      error: { code: ErrorCode.PAYLOAD_TOO_LARGE, message: `messages are limited to ${maxBytes} bytes`, details: { limit: maxBytes } },
    };
  }
  if (!new JsonDepthScanner().feed(bytes)) {
    return { error: { code: ErrorCode.VALIDATION_FAILED, message: `messages may nest at most ${MAX_JSON_DEPTH} levels` } };
  }
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { error: { code: ErrorCode.VALIDATION_FAILED, message: 'not JSON' } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { error: { code: ErrorCode.VALIDATION_FAILED, message: 'a frame is a JSON object {"event", "data"?, "ack"?}' } };
  }
  const { event, data, ack } = value as Record<string, unknown>;
  if (typeof event !== 'string' || event.length === 0 || event.length > 64) {
    return { error: { code: ErrorCode.VALIDATION_FAILED, message: '"event" must be a name of 1-64 characters' } };
  }
  if (ack !== undefined && (typeof ack !== 'number' || !Number.isSafeInteger(ack) || ack < 0)) {
    return { error: { code: ErrorCode.VALIDATION_FAILED, message: '"ack" must be a non-negative integer' } };
  }
  return { frame: ack === undefined ? { event, data } : { event, data, ack } };
}
