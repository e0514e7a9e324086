import { Catch, HttpException, HttpStatus, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { AppError, ErrorCode, INTERNAL_ERROR_BODY, type ErrorBody } from './app.errors';

const STATUS_CODES: Partial<Record<number, ErrorCode>> = {
  [HttpStatus.BAD_REQUEST]: ErrorCode.VALIDATION_FAILED,
  [HttpStatus.UNAUTHORIZED]: ErrorCode.AUTH_INVALID,
  [HttpStatus.FORBIDDEN]: ErrorCode.FORBIDDEN,
  [HttpStatus.NOT_FOUND]: ErrorCode.NOT_FOUND,
  [HttpStatus.PAYLOAD_TOO_LARGE]: ErrorCode.PAYLOAD_TOO_LARGE,
  [HttpStatus.TOO_MANY_REQUESTS]: ErrorCode.LIMIT_EXCEEDED,
  [HttpStatus.SERVICE_UNAVAILABLE]: ErrorCode.UNAVAILABLE,
};

/** The part of a Fastify reply the filters use. */
export interface ReplyLike {
  header(name: string, value: string): unknown;
  status(code: number): { send(body: unknown): unknown };
}

/** Writes `{ error: { code, message, details? } }` with the status and headers the code implies. */
export function sendError(response: ReplyLike, status: number, body: ErrorBody, retryAfterSeconds?: number): void {
  if (retryAfterSeconds !== undefined) response.header('Retry-After', String(retryAfterSeconds));
  if (status === 401) response.header('WWW-Authenticate', `Bearer error="invalid_token", error_description="${body.code}"`);
  response.status(status).send({ error: body });
}

/** One error shape for every HTTP failure; unknown errors are logged and answered as INTERNAL. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<ReplyLike>();
    if (exception instanceof AppError) {
      sendError(response, exception.httpStatus, exception.toBody(), exception.retryAfterSeconds);
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = STATUS_CODES[status] ?? (status >= 500 ? ErrorCode.INTERNAL : ErrorCode.VALIDATION_FAILED);
      sendError(response, status, { code, message: exception.message });
      return;
    }
    const { id } = host.switchToHttp().getRequest<{ id?: string }>();
    this.logger.error({
      msg: exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
      correlationId: id,
    });
    sendError(response, 500, INTERNAL_ERROR_BODY);
  }
}
