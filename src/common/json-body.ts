import type { IncomingMessage } from 'node:http';
import { AppError, ErrorCode } from './app.errors';
import { JsonDepthScanner, MAX_JSON_DEPTH } from './json-depth';

/** True when the request announces a body (a length above 0, or a chunked upload). */
export function hasBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined;
}

function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const [type, ...parameters] = contentType.toLowerCase().split(';');
  if (type.trim() !== 'application/json') return false;
  const charset = parameters.map((parameter) => parameter.trim()).find((parameter) => parameter.startsWith('charset='));
  return charset === undefined || /^charset="?utf-8"?$/.test(charset);
}

/**
 * Reads and parses a JSON request body. The bytes are scanned for nesting depth as they arrive,
 * so a hostile body is refused at the bracket that goes too deep, never built into a structure;
 * the size bound is checked against Content-Length before reading and against the bytes read.
 * Every refusal is an AppError (VALIDATION_FAILED or PAYLOAD_TOO_LARGE), never a 500.
 */
export function readJsonBody(request: IncomingMessage, maxBytes: number, maxDepth = MAX_JSON_DEPTH): Promise<unknown> {
  if (!isJson(request.headers['content-type'])) {
    return Promise.reject(
      new AppError(ErrorCode.VALIDATION_FAILED, 'the request body must be JSON (content-type: application/json; charset=utf-8)'),
    );
  }
  const declared = Number(request.headers['content-length']);
  if (declared > maxBytes) return Promise.reject(tooLarge(maxBytes));
  return new Promise((resolve, reject) => {
    const scanner = new JsonDepthScanner(maxDepth);
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (error: AppError) => {
      request.off('data', onData);
      request.off('end', onEnd);
      // Whatever is still on its way is read and dropped, never parsed.
      request.resume();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        stop(tooLarge(maxBytes));
      } else if (!scanner.feed(chunk)) {
        const message = `the request body is nested deeper than ${maxDepth} levels`;
        stop(new AppError(ErrorCode.VALIDATION_FAILED, message, [{ path: '', errors: [message] }]));
      } else {
        chunks.push(chunk);
      }
    };
    const onEnd = () => {
      request.off('data', onData);
      const text = Buffer.concat(chunks, size).toString('utf8');
      try {
        resolve(text.trim().length === 0 ? {} : JSON.parse(text));
      } catch {
        reject(new AppError(ErrorCode.VALIDATION_FAILED, 'request body is not valid JSON'));
      }
    };
    request.on('data', onData);
    request.once('end', onEnd);
    request.once('error', () => stop(new AppError(ErrorCode.VALIDATION_FAILED, 'the request body was cut off')));
  });
}

function tooLarge(maxBytes: number): AppError {
  return new AppError(ErrorCode.PAYLOAD_TOO_LARGE, 'request body is too large', { limit: maxBytes });
}
