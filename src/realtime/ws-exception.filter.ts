import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import type { Socket } from 'socket.io';
import { AppError, ErrorCode, INTERNAL_ERROR_BODY, isKnownErrorCode, type ErrorBody } from '../common/app.errors';
import { RealtimeEvent, type ErrorAck } from './realtime.events';

function isErrorBody(value: unknown): value is ErrorBody {
  return typeof value === 'object' && value !== null && isKnownErrorCode((value as ErrorBody).code);
}

/** Maps anything a handler, pipe or guard throws onto the ack envelope `{ ok: false, error }`. */
export function toErrorBody(exception: unknown, logger?: Logger): ErrorBody {
  if (exception instanceof AppError) return exception.toBody();
  if (exception instanceof WsException) {
    const error = exception.getError();
    if (isErrorBody(error)) return error;
    return { code: ErrorCode.VALIDATION_FAILED, message: typeof error === 'string' ? error : 'Invalid request' };
  }
  // Unknown failures are ours, not the client's: log them, and never send a stack or message.
  logger?.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
  return INTERNAL_ERROR_BODY;
}

/**
 * Answers through the client's ack callback when there is one (Nest passes it as argument 2),
 * else as an `exception` event. Nothing thrown in a gateway ever propagates past this filter.
 */
@Catch()
export class WsAckExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('WsHandler');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response: ErrorAck = { ok: false, error: toErrorBody(exception, this.logger) };
    const ack: unknown = host.getArgByIndex(2);
    if (typeof ack === 'function') {
      (ack as (payload: ErrorAck) => void)(response);
      return;
    }
    host.switchToWs().getClient<Socket>().emit(RealtimeEvent.EXCEPTION, response);
  }
}
