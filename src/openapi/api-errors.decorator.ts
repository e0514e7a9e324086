import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';

const MEANING: Record<number, string> = {
  400: 'VALIDATION_FAILED: the body, a parameter or a field is invalid (details name them)',
  401: 'AUTH_MISSING, AUTH_INVALID, AUTH_EXPIRED or REVOKED',
  403: 'FORBIDDEN: the token lacks the role, or the resource belongs to another tenant',
  404: 'NOT_FOUND (or the namespace’s own code, e.g. PRINT_JOB_NOT_FOUND)',
  408: 'IDLE_TIMEOUT: the body did not arrive in time',
  409: 'a conflict with the resource’s state (e.g. PRINT_JOB_CONFLICT)',
  410: 'gone: what the request needs is no longer kept (e.g. PRINT_DOCUMENT_GONE)',
  413: 'PAYLOAD_TOO_LARGE',
  429: 'RATE_LIMITED (details.retryAfterMs, Retry-After)',
  503: 'UNAVAILABLE: storage unreachable or refusing writes; retry after Retry-After with the same idempotency key',
};

/** The error answers of a route, each with the taxonomy's body (`ErrorResponse`). */
export function ApiErrors(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({ status, description: MEANING[status] ?? 'an error', schema: { $ref: '#/components/schemas/ErrorResponse' } }),
    ),
  );
}
