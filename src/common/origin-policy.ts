import type { CorsPolicy } from '../config';

const LOCALHOST_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

/** True when a browser Origin may use this server under the configured CORS policy. */
export function isOriginAllowed(policy: CorsPolicy, origin: string): boolean {
  return policy.kind === 'localhost' ? LOCALHOST_ORIGIN.test(origin) : policy.origins.includes(origin);
}
