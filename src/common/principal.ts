/** Who is calling, as every layer sees it: the roles, the tenant wildcard and the Principal a verified token becomes (auth/claims.ts). */
export const ROLES = ['admin', 'staff', 'printer-agent', 'service'] as const;
export type Role = (typeof ROLES)[number];

/** Wildcard for `companyId` (platform services only) and for `branchIds` (`["*"]`: every branch). */
export const ANY = '*';

/** The authenticated caller, as every handler sees it (`socket.data.principal`, `req.user`). */
export interface Principal {
  /** `sub`: the user or device id. */
  readonly id: string;
  /** The tenant; `*` only for platform tokens (roles `service` and/or `admin`, HTTP only). */
  readonly companyId: string;
  /** `["*"]` means every branch of the company. */
  readonly branchIds: readonly string[];
  readonly roles: readonly Role[];
  /** `exp` in epoch milliseconds. */
  readonly expiresAt: number;
  /** `iat` in epoch milliseconds, when the token has one (revocations compare against it). */
  readonly issuedAt?: number;
  readonly jti?: string;
}

/** Roles a platform token (`companyId: "*"`) may carry: a backend acting for every tenant, or a platform admin. */
export const PLATFORM_ROLES: readonly Role[] = ['service', 'admin'];

/** A token for every tenant: only the HTTP API accepts it, never a socket (sockets belong to one company). */
export function isPlatform(principal: Principal): boolean {
  return principal.companyId === ANY;
}

export function hasAnyRole(principal: Principal, allowed: readonly Role[]): boolean {
  return principal.roles.some((role) => allowed.includes(role));
}
