/**
 * The one error taxonomy shared by socket acks, `connect_error` and the HTTP API.
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
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** HTTP status for each shared code; socket transports ignore it. */
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
};

const statuses = new Map<string, number>(Object.entries(HTTP_STATUS));

/**
 * Namespaces add their own codes (e.g. PRINT_JOB_NOT_FOUND) with the HTTP status each implies,
 * from their `<ns>.errors.ts`, so the one filter per transport knows them all.
 */
export function registerErrorCodes(codes: Readonly<Record<string, number>>): void {
  for (const [code, status] of Object.entries(codes)) statuses.set(code, status);
}

export function isKnownErrorCode(code: unknown): code is string {
  return typeof code === 'string' && statuses.has(code);
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
    readonly code: ErrorCode | (string & {}),
    message: string,
    readonly details?: unknown,
    /** Seconds a client should wait before retrying (HTTP Retry-After). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'AppError';
  }

  get httpStatus(): number {
    return statuses.get(this.code) ?? 500;
  }

  toBody(): ErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export const INTERNAL_ERROR_BODY: ErrorBody = { code: ErrorCode.INTERNAL, message: 'Internal error' };
