import type { IncomingMessage } from 'node:http';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { correlationIdOf } from '../logging/pino';

/**
 * The HTTP platform: Nest on Fastify. Measured on the reference machine, a Nest POST route with
 * a guard cost ~120-230 µs of CPU per request on Express and ~36-40 µs on Fastify (its router,
 * its request and reply objects, no Express middleware chain).
 *
 * - Fastify's own body parsers are removed: a body is read by JsonBodyInterceptor, after the
 *   guards, with its depth scan (issue 13). The catch-all parser leaves the stream unread.
 * - The request id is the correlation id (an incoming `X-Correlation-Id`/`X-Request-Id`, or a new
 *   UUID), so `request.id` is the same value our logs and envelopes carry.
 * - Fastify's logger is off; installRequestLogging writes the request lines.
 */
export function createHttpAdapter(): FastifyAdapter {
  const adapter = new FastifyAdapter({
    logger: false,
    genReqId: (request: IncomingMessage) => correlationIdOf(request),
    // Node's own timeouts are set by enforceHttpDeadlines; Fastify's keep-alive default (72 s)
    // would hold idle publisher connections far longer than Node's 5 s.
    keepAliveTimeout: 5000,
    return503OnClosing: false,
  });
  const fastify = adapter.getInstance();
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
  return adapter;
}
