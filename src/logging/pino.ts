import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import pino, { type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';
import type { AppConfig, LogLevel } from '../config';

const LEVELS: Record<LogLevel, LevelWithSilent> = { error: 'error', warn: 'warn', log: 'info', debug: 'debug', verbose: 'trace' };

/**
 * Anything that could carry a credential. Payloads are never logged at all (pino-http logs no
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

/** pino-http options: one line per request (not for probes; accepted publishes only at debug), the correlation id as `req.id` and response header. */
export function httpLogging(logger: Logger) {
  return {
    logger,
    genReqId: (req: IncomingMessage, res: ServerResponse) => {
      const id = correlationIdOf(req);
      res.setHeader('x-correlation-id', id);
      return id;
    },
    customAttributeKeys: { reqId: 'correlationId' },
    // Lines logged inside a request carry only its correlation id, not the whole request.
    quietReqLogger: true,
    autoLogging: { ignore: (req: IncomingMessage) => /^\/(health|metrics|socket\.io)\b/.test(req.url ?? '') },
    customLogLevel: (req: IncomingMessage, res: ServerResponse, error?: Error) =>
      error || res.statusCode >= 500
        ? 'error'
        : res.statusCode >= 400
          ? 'warn'
          : // An accepted publish already has its `published` line; an access line per request on the
            // hot path would double the log volume (and was most of pino's ~11 % of a publish).
            ACCEPTED_PUBLISH.test(req.url ?? '')
            ? 'debug'
            : 'info',
    serializers: {
      // No query string (a token could be there even though we refuse it), no body.
      req: (req: { method: string; url: string; remoteAddress?: string; headers: Record<string, unknown> }) => ({
        method: req.method,
        url: req.url.split('?')[0],
        ip: req.remoteAddress,
        userAgent: req.headers['user-agent'],
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  };
}
