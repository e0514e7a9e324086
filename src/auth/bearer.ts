/** `Authorization: Bearer <token>`, the scheme in any case; the same rule for HTTP and the socket handshake. */
export const BEARER_HEADER = /^Bearer\s+(\S+)\s*$/i;

/** The token of a request's `Authorization: Bearer <token>` header, or undefined (none, or another scheme). */
export function bearerOf(request: { headers: Record<string, string | string[] | undefined> }): string | undefined {
  const header = request.headers.authorization;
  return typeof header === 'string' ? BEARER_HEADER.exec(header)?.[1] : undefined;
}
