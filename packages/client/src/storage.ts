/**
 * Where the SDK keeps what must outlive the process: channel positions and the print agent's
 * job journal. The shape is Web Storage's, so `localStorage` and `sessionStorage` work as they
 * are; methods may also return promises (IndexedDB, React Native AsyncStorage, a database).
 * Writes are awaited before the SDK relies on them (a print job is journaled before it is acked).
 */
export interface KeyValueStorage {
  getItem(key: string): string | null | Promise<string | null>;
  setItem(key: string, value: string): void | Promise<void>;
  removeItem(key: string): void | Promise<void>;
}

/** Keeps everything in this process: nothing survives a restart. The default outside browsers. */
export class MemoryStorage implements KeyValueStorage {
  private readonly items = new Map<string, string>();

  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }

  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }

  removeItem(key: string): void {
    this.items.delete(key);
  }

  get size(): number {
    return this.items.size;
  }
}

/**
 * The browser's localStorage when there is one that works (Safari's private mode and sandboxed
 * frames throw on access), else undefined. Node 22+ has a global localStorage too, but only with
 * --localstorage-file; it is used only where a `window` exists (browsers, Electron renderers).
 */
export function browserStorage(): KeyValueStorage | undefined {
  const scope = globalThis as { window?: unknown; localStorage?: KeyValueStorage };
  if (scope.window === undefined) return undefined;
  try {
    const storage = scope.localStorage;
    if (!storage) return undefined;
    const probe = '__switchboard_probe__';
    void storage.setItem(probe, '1');
    void storage.removeItem(probe);
    return storage;
  } catch {
    return undefined;
  }
}

/** Prefix of every key the SDK writes; the version lets a future format live beside this one. */
export const KEY_PREFIX = 'switchboard:v1';

/**
 * A prefix for one scope, e.g. positions of one user on one namespace of one server. Parts are
 * URI-encoded so that no value can forge another scope's key.
 */
export function scopedKey(...parts: readonly string[]): string {
  return [KEY_PREFIX, ...parts.map((part) => encodeURIComponent(part))].join('|');
}

/** JSON read that treats a missing or corrupt value as absent: storage is a cache of the truth, never a crash. */
export async function readJson<T>(storage: KeyValueStorage, key: string, valid: (value: unknown) => value is T): Promise<T | undefined> {
  try {
    const raw = await storage.getItem(key);
    if (raw === null) return undefined;
    const value: unknown = JSON.parse(raw);
    return valid(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
