import { randomBytes } from 'node:crypto';

/** Bytes of randomness per epoch: 9 encode to exactly 12 base64url characters. */
const EPOCH_BYTES = 9;
const EPOCH_CHARS = 12;

/** A new, unguessable epoch id ([A-Za-z0-9_-], JSON-safe without escaping). */
export function newEpoch(): string {
  return randomBytes(EPOCH_BYTES).toString('base64url');
}

/**
 * n new epochs from one draw of randomness. A Redis publish offers every channel it touches an
 * epoch (used only if the channel is new); one randomBytes() call per channel cost more than the
 * rest of the engine's side of a 100-channel batch.
 */
export function newEpochs(n: number): string[] {
  const all = randomBytes(EPOCH_BYTES * n).toString('base64url');
  const epochs = new Array<string>(n);
  for (let i = 0; i < n; i++) epochs[i] = all.slice(i * EPOCH_CHARS, (i + 1) * EPOCH_CHARS);
  return epochs;
}
