import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { ReplyLike } from '../common/http-error.filter';

/**
 * Terminus reports "down" by throwing a 503 whose body is the full health result. Health
 * endpoints answer that body as-is (probes and operators read `details`), instead of the
 * API's error envelope.
 */
@Catch(HttpException)
export class HealthResponseFilter implements ExceptionFilter {
  catch(exception: HttpException, host: ArgumentsHost): void {
    host.switchToHttp().getResponse<ReplyLike>().status(exception.getStatus()).send(exception.getResponse());
  }
}
