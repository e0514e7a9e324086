import { randomBytes } from 'node:crypto';

/** A new, unguessable epoch id ([A-Za-z0-9_-], JSON-safe without escaping). */
export function newEpoch(): string {
  return randomBytes(8).toString('base64url');
}
