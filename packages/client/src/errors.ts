import type { ErrorBody } from './types.js';

/**
 * Codes the SDK raises itself, besides the server's taxonomy (docs/protocol.md §12):
 * TIMEOUT (no answer in time), DISCONNECTED (the connection dropped before the answer),
 * CLOSED (the client was closed), TOKEN_UNAVAILABLE (getToken() failed), TRANSPORT (the
 * connection could not be opened: network, proxy, or a server refusing new sessions),
 * HANDLER_FAILED (an application callback threw; the stream went on), STORAGE_FAILED (a
 * position or journal entry could not be written).
 */
export const ClientErrorCode = {
  TIMEOUT: 'TIMEOUT',
  DISCONNECTED: 'DISCONNECTED',
  CLOSED: 'CLOSED',
  TOKEN_UNAVAILABLE: 'TOKEN_UNAVAILABLE',
  TRANSPORT: 'TRANSPORT',
  HANDLER_FAILED: 'HANDLER_FAILED',
  STORAGE_FAILED: 'STORAGE_FAILED',
} as const;

/** Every failure the SDK reports: a server error code (FORBIDDEN, AUTH_EXPIRED, …) or one of ClientErrorCode. */
export class SwitchboardError extends Error {
  override readonly name = 'SwitchboardError';

  constructor(
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  static from(body: ErrorBody): SwitchboardError {
    return new SwitchboardError(body.code, body.message, body.details);
  }
}

/** connect_error as Socket.IO raises it: `message` is the code, `data` the body (when the server refused us). */
export function fromConnectError(error: Error & { data?: unknown }): SwitchboardError {
  const data = error.data as Partial<ErrorBody> | undefined;
  if (data && typeof data.code === 'string') return new SwitchboardError(data.code, data.message ?? data.code, data.details);
  return new SwitchboardError(ClientErrorCode.TRANSPORT, error.message || 'connection failed');
}
