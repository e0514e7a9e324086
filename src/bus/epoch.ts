import { randomBytes } from 'node:crypto';

/** Bytes of randomness per epoch: 9 encode to exactly 12 base64url characters. */
const EPOCH_BYTES = 9;
const EPOCH_CHARS = 12;
/**
 * Epochs drawn per call into the system's random source. A Redis publish offers every channel it
 * touches an epoch (used only if the channel is new), so a single publish drew 9 random bytes:
 * `randomFillSync` was 10 % of the engine's CPU per single publish (docs/performance.md). Epochs
 * are cut from one draw instead; 9 × 256 bytes is a multiple of 3, so each 12-character slice is
 * exactly one 9-byte group's encoding, and every epoch is as unguessable as before.
 */
const POOL_EPOCHS = 256;

let pool = '';
let poolAt = 0;

/** A new, unguessable epoch id ([A-Za-z0-9_-], JSON-safe without escaping). */
export function newEpoch(): string {
  if (poolAt === pool.length) {
    pool = randomBytes(EPOCH_BYTES * POOL_EPOCHS).toString('base64url');
    poolAt = 0;
  }
  // Slices shorter than 13 characters are copies in V8, so a kept epoch does not keep the pool alive.
  const epoch = pool.slice(poolAt, poolAt + EPOCH_CHARS);
  poolAt += EPOCH_CHARS;
  return epoch;
}

/** n new epochs (one per channel of a publish request). */
export function newEpochs(n: number): string[] {
  const epochs = new Array<string>(n);
  for (let i = 0; i < n; i++) epochs[i] = newEpoch();
  return epochs;
}
