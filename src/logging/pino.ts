import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import pino, { type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';
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

/** The one pino instance of a process: JSON lines, or pino-pretty (synchronous, no worker thread) for humans. */
export function createPino(config: AppConfig, enabled = true): Logger {
  const options = {
    level: enabled ? LEVELS[config.log.level] : 'silent',
    base: { pid: process.pid, node: config.nodeId },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  return config.log.format === 'pretty'
    ? pino(options, pretty({ sync: true, colorize: process.stdout.isTTY, singleLine: true, ignore: 'pid,hostname,node' }))
    : // Asynchronous stdout: lines logged while a write is in flight leave together in one write
      // (a synchronous write per line was ~5 % of a busy node's CPU). pino flushes it on exit.
      pino(options, pino.destination({ dest: 1, sync: false }));
}

const ACCEPTED_PUBLISH = /^\/v1\/publish(\/batch)?(\?|$)/;
/** Probes and Socket.IO's own requests get no request line. */
const UNLOGGED = /^\/(health|metrics|socket\.io)\b/;

type LoggedRequest = IncomingMessage & { id?: string; log?: Logger };

/**
 * The request middleware (in place of pino-http, which built two child loggers and serialized
 * the request for every request, logged or not: ~9 % of a publish's CPU). It gives the request
 * its correlation id (`req.id`, the `X-Correlation-Id` response header), one child logger that
 * carries it (`req.log`, which nestjs-pino binds to the request's context), and one line when the
 * response is done: `request completed` (info; debug for an accepted publish, which has its own
 * `published` line), `request failed` (warn, 4xx) or `request errored` (error, 5xx or aborted).
 */
export function requestLogging(root: Logger) {
  return (req: LoggedRequest, res: ServerResponse, next: () => void): void => {
    const id = correlationIdOf(req);
    req.id = id;
    res.setHeader('x-correlation-id', id);
    const log = root.child({ correlationId: id });
    req.log = log;
    const url = req.url ?? '';
    if (!UNLOGGED.test(url)) {
      const startedAt = performance.now();
      res.once('close', () => logRequest(log, req, res, performance.now() - startedAt));
    }
    next();
  };
}

function logRequest(log: Logger, req: IncomingMessage, res: ServerResponse, elapsedMs: number): void {
  const aborted = !res.writableFinished;
  const status = res.statusCode;
  const level = aborted || status >= 500 ? 'error' : status >= 400 ? 'warn' : ACCEPTED_PUBLISH.test(req.url ?? '') ? 'debug' : 'info';
  if (!log.isLevelEnabled(level)) return;
  log[level](
    {
      // No query string (a token could be there even though we refuse it), no body.
      req: { method: req.method, url: (req.url ?? '').split('?')[0], ip: req.socket?.remoteAddress, userAgent: req.headers['user-agent'] },
      res: { statusCode: status },
      responseTime: Math.round(elapsedMs),
      ...(aborted ? { aborted: true } : {}),
    },
    aborted || status >= 500 ? 'request errored' : status >= 400 ? 'request failed' : 'request completed',
  );
}
