/**
 * The one error taxonomy shared by socket acks, `connect_error` and the HTTP API, namespaces'
 * own codes included: one list, so the compiler checks every code and its HTTP status.
 * Clients switch on `code`; `message` is for humans and may change.
 */
export const ErrorCode = {
  AUTH_MISSING: 'AUTH_MISSING',
  AUTH_INVALID: 'AUTH_INVALID',
  AUTH_EXPIRED: 'AUTH_EXPIRED',
  FORBIDDEN: 'FORBIDDEN',
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  NOT_FOUND: 'NOT_FOUND',
  RATE_LIMITED: 'RATE_LIMITED',
  TOO_MANY_CONNECTIONS: 'TOO_MANY_CONNECTIONS',
  /** Disconnect reasons (in `session:ended`), also usable as error codes. */
  REVOKED: 'REVOKED',
  /** An admin ended the user's live sessions; the token stays valid (admin:kick-user). */
  KICKED: 'KICKED',
  SLOW_CONSUMER: 'SLOW_CONSUMER',
  IDLE_TIMEOUT: 'IDLE_TIMEOUT',
  UNAVAILABLE: 'UNAVAILABLE',
  INTERNAL: 'INTERNAL',
  // /printing-ws and /v1/print-jobs:
  /** No job with that jobId in the caller's company (and, for agents, branch). */
  PRINT_JOB_NOT_FOUND: 'PRINT_JOB_NOT_FOUND',
  /**
   * The job already reached a different final status, was acknowledged and cannot be cancelled, is
   * still queued and cannot be resent, or a resend's jobId is taken by another job.
   */
  PRINT_JOB_CONFLICT: 'PRINT_JOB_CONFLICT',
  /** A resend of a job whose document is no longer kept (PRINT_DOCUMENT_RETENTION_SECONDS after it left the queue). */
  PRINT_DOCUMENT_GONE: 'PRINT_DOCUMENT_GONE',
  /** printers:status for a printer this agent has not registered. */
  PRINTER_UNKNOWN: 'PRINTER_UNKNOWN',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** HTTP status for each code (the compiler demands one per code); socket transports ignore it. */
const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  AUTH_MISSING: 401,
  AUTH_INVALID: 401,
  AUTH_EXPIRED: 401,
  FORBIDDEN: 403,
  VALIDATION_FAILED: 400,
  LIMIT_EXCEEDED: 429,
  PAYLOAD_TOO_LARGE: 413,
  NOT_FOUND: 404,
  RATE_LIMITED: 429,
  TOO_MANY_CONNECTIONS: 429,
  REVOKED: 401,
  KICKED: 403,
  SLOW_CONSUMER: 503,
  IDLE_TIMEOUT: 408,
  UNAVAILABLE: 503,
  INTERNAL: 500,
  PRINT_JOB_NOT_FOUND: 404,
  PRINT_JOB_CONFLICT: 409,
  PRINT_DOCUMENT_GONE: 410,
  PRINTER_UNKNOWN: 404,
};

export function isKnownErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(HTTP_STATUS, code);
}

/** The wire shape of every error: `{ code, message, details? }`. */
export interface ErrorBody {
  readonly code: string;
  readonly message: string;
  readonly details?: unknown;
}

/** A failure we expect and can name. Anything else is reported as INTERNAL without its message. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** Seconds a client should wait before retrying (HTTP Retry-After). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'AppError';
  }

  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }

  toBody(): ErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export const INTERNAL_ERROR_BODY: ErrorBody = { code: ErrorCode.INTERNAL, message: 'Internal error' };
