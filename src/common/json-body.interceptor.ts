import type { IncomingMessage, ServerResponse } from 'node:http';
import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Observable } from 'rxjs';
import { hasBody, readJsonBody } from './json-body';

/**
 * Reads JSON bodies after the guards have run (Nest runs interceptors after guards and before
 * pipes), so an unauthenticated or forbidden request never costs a parse: the body of a refused
 * request is drained unread by Node. A body refused for its size or depth also closes the
 * connection, rather than reading megabytes nobody will use.
 */
@Injectable()
export class JsonBodyInterceptor implements NestInterceptor {
  constructor(private readonly maxBytes: number) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    // Global interceptors also wrap gateway handlers; sockets have no body to read.
    if (context.getType() !== 'http') return next.handle();
    // Fastify's request and reply; the body stream is the raw IncomingMessage.
    const request = context.switchToHttp().getRequest<{ raw: IncomingMessage; body?: unknown }>();
    if (request.body !== undefined || !hasBody(request.raw)) return next.handle();
    // A plain Observable rather than from() + switchMap(): two operator subscribers fewer per request.
    return new Observable((subscriber) => {
      let inner: { unsubscribe(): void } | undefined;
      readJsonBody(request.raw, this.maxBytes).then(
        (body) => {
          request.body = body;
          if (!subscriber.closed) inner = next.handle().subscribe(subscriber);
        },
        (error: unknown) => {
          context.switchToHttp().getResponse<{ raw: ServerResponse }>().raw.setHeader('Connection', 'close');
          subscriber.error(error);
        },
      );
      return () => inner?.unsubscribe();
    });
  }
}
