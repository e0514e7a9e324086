import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import pino, { type Logger, type LevelWithSilent } from 'pino';
import type PinoPretty from 'pino-pretty';
import type { AppConfig, LogLevel } from '../config';

const LEVELS: Record<LogLevel, LevelWithSilent> = { error: 'error', warn: 'warn', log: 'info', debug: 'debug', verbose: 'trace' };

/**
 * Anything that could carry a credential. Payloads are never logged at all (request lines carry no
 * bodies; our own lines name events, channels and ids, never `data`).
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'token',
  '*.token',
];

/** An incoming correlation id is kept only when it is a plain, bounded token (it ends up in logs and envelopes). */
const CORRELATION_ID = /^[\w.:-]{1,128}$/;

export function correlationIdOf(req: IncomingMessage): string {
  for (const header of ['x-correlation-id', 'x-request-id']) {
    const value = req.headers[header];
    if (typeof value === 'string' && CORRELATION_ID.test(value)) return value;
  }
  return randomUUID();
}

/** A pino instance: JSON lines (buffered for the application, see bufferedStdout), or pino-pretty (synchronous, no worker thread) for humans. */
export function createPino(config: AppConfig, enabled = true, buffered = false): Logger {
  const options = {
    level: enabled ? LEVELS[config.log.level] : 'silent',
    base: { pid: process.pid, node: config.nodeId },
    timestamp: isoTimeOncePerMs,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  const pretty = config.log.format === 'pretty' ? loadPretty() : undefined;
  return pretty
    ? pino(options, pretty({ sync: true, colorize: process.stdout.isTTY, singleLine: true, ignore: 'pid,hostname,node' }))
    : pino(options, enabled && buffered ? bufferedStdout() : pino.destination({ dest: 1, sync: false }));
}

let prettyMissingTold = false;
/**
 * pino-pretty is a development dependency: a production install (the Docker image) has JSON logs
 * only. Loaded on demand; without it, LOG_FORMAT=pretty falls back to JSON and says so once.
 */
function loadPretty(): typeof PinoPretty | undefined {
  try {
    // A synchronous, optional load: the logger is built before anything async can run.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('pino-pretty') as { default: typeof PinoPretty }).default;
  } catch {
    if (!prettyMissingTold) {
      prettyMissingTold = true;
      process.stderr.write(
        'LOG_FORMAT=pretty needs pino-pretty (a development dependency, not installed here): logging JSON lines instead\n',
      );
    }
    return undefined;
  }
}

let stampedAt = -1;
let stamp = '';
/**
 * pino's isoTime, formatted once per millisecond rather than once per line: a busy node writes
 * several lines a millisecond, and formatting the date was ~2 % of a publish's CPU.
 */
export function isoTimeOncePerMs(): string {
  const now = Date.now();
  if (now !== stampedAt) {
    stampedAt = now;
    stamp = `,"time":"${new Date(now).toISOString()}"`;
  }
  return stamp;
}

/** The longest a log line waits in the buffer below. */
const LOG_FLUSH_MS = 200;

/**
 * For the application's logger (the process logger, which writes boot and config warnings before
 * the application exists, writes each line at once). Asynchronous, buffered stdout: lines leave in
 * writes of at least 4 KB, or LOG_FLUSH_MS after the first line still waiting, whichever comes
 * first. One write per line (each `connected` and `published` line) was ~6 % of a busy node's CPU
 * in write syscalls; a synchronous write per line before that, ~5 % more. The flush timer is armed
 * by a line, not kept on an interval, so that a quiet node is not woken five times a second (each
 * wake-up costs a VM more than the flush). pino flushes the buffer on exit.
 */
export function bufferedStdout(dest: number | string = 1): ReturnType<typeof pino.destination> {
  const destination = pino.destination({ dest, sync: false, minLength: 4096 });
  let flusher: NodeJS.Timeout | undefined;
  const flush = (): void => {
    flusher = undefined;
    try {
      destination.flush();
    } catch {
      // Destroyed (the process is exiting, and pino has flushed it): nothing left to write.
    }
  };
  const write = destination.write.bind(destination);
  destination.write = (line: string): boolean => {
    const accepted = write(line);
    if (!flusher) {
      flusher = setTimeout(flush, LOG_FLUSH_MS);
      flusher.unref();
    }
    return accepted;
  };
  destination.once('close', () => clearTimeout(flusher));
  return destination;
}

const ACCEPTED_PUBLISH = /^\/v1\/publish(\/batch)?(\?|$)/;
/** Probes and Socket.IO's own requests get no request line. */
const UNLOGGED = /^\/(health|metrics|socket\.io)\b/;

/** The parts of Fastify's request and reply the request lines use. */
interface HookRequest {
  readonly id: string;
  readonly raw: IncomingMessage;
}
interface HookReply {
  readonly raw: ServerResponse;
  header(name: string, value: string): unknown;
}
/** Where Fastify hooks are added (a FastifyInstance). */
export interface HookHost {
  addHook(name: 'onRequest', hook: (request: HookRequest, reply: HookReply, done: () => void) => void): unknown;
}

/**
 * Request lines, as a Fastify hook (in place of pino-http, which built two child loggers and
 * serialized the request for every request, logged or not: ~9 % of a publish's CPU). The request
 * id is the correlation id (see createHttpAdapter); it is sent back as `X-Correlation-Id`, and one
 * line is written when the response is done: `request completed` (info; debug for an accepted
 * publish, which has its own `published` line), `request failed` (warn, 4xx) or `request
 * errored` (error, 5xx or aborted).
 *
 * Lines about a request that are logged while it runs (`published`, a 500's error) carry its
 * correlation id explicitly. No AsyncLocalStorage context is bound for them: once one is, Node
 * runs its promise hooks on every promise of the process, which measured ~15 % of a publish's
 * CPU and ~8 % of a handshake's.
 */
export function installRequestLogging(fastify: HookHost, root: Logger): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-correlation-id', request.id);
    if (!UNLOGGED.test(request.raw.url ?? '')) {
      const startedAt = performance.now();
      reply.raw.once('close', () => logRequest(root, request, reply.raw, performance.now() - startedAt));
    }
    done();
  });
}

function logRequest(root: Logger, request: HookRequest, res: ServerResponse, elapsedMs: number): void {
  const req = request.raw;
  const aborted = !res.writableFinished;
  const status = res.statusCode;
  const level = aborted || status >= 500 ? 'error' : status >= 400 ? 'warn' : ACCEPTED_PUBLISH.test(req.url ?? '') ? 'debug' : 'info';
  if (!root.isLevelEnabled(level)) return;
  root[level](
    {
      correlationId: request.id,
      // No query string (a token could be there even though we refuse it), no body.
      req: { method: req.method, url: (req.url ?? '').split('?')[0], ip: req.socket?.remoteAddress, userAgent: req.headers['user-agent'] },
      res: { statusCode: status },
      responseTime: Math.round(elapsedMs),
      ...(aborted ? { aborted: true } : {}),
    },
    aborted || status >= 500 ? 'request errored' : status >= 400 ? 'request failed' : 'request completed',
  );
}
