import { readJson, scopedKey, type KeyValueStorage } from './storage.js';
import type { Position } from './types.js';

const EPOCH = /^[A-Za-z0-9_-]{1,128}$/;

function isPosition(value: unknown): value is Position {
  const candidate = value as Partial<Position> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.epoch === 'string' &&
    EPOCH.test(candidate.epoch) &&
    Number.isSafeInteger(candidate.seq) &&
    (candidate.seq as number) >= 0
  );
}

/**
 * Channel positions of one namespace for one user, in the client's storage, one key per channel
 * (a write is one small value, whatever the number of channels). The scope names the server, the
 * namespace, the tenant and the user, so two users of one browser never resume from each other's
 * positions. A value that does not parse is treated as absent: the channel then starts fresh.
 */
export class PositionStore {
  private scope: string | undefined;

  constructor(
    private readonly storage: KeyValueStorage,
    private readonly base: readonly string[],
  ) {}

  /** Scopes the store to the session's user; answers whether that changed the scope. */
  setUser(companyId: string, userId: string): boolean {
    const scope = scopedKey(...this.base, companyId, userId, 'position');
    const changed = scope !== this.scope;
    this.scope = scope;
    return changed;
  }

  get ready(): boolean {
    return this.scope !== undefined;
  }

  async load(channel: string): Promise<Position | undefined> {
    if (this.scope === undefined) return undefined;
    return readJson(this.storage, this.key(channel), isPosition);
  }

  async save(channel: string, position: Position): Promise<void> {
    if (this.scope === undefined) return;
    await this.storage.setItem(this.key(channel), JSON.stringify({ epoch: position.epoch, seq: position.seq }));
  }

  async forget(channel: string): Promise<void> {
    if (this.scope === undefined) return;
    await this.storage.removeItem(this.key(channel));
  }

  private key(channel: string): string {
    return `${this.scope as string}|${encodeURIComponent(channel)}`;
  }
}
