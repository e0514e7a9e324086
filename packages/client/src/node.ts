import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyValueStorage } from './storage.js';

export interface FileStorageOptions {
  /** fsync every write, so an acknowledged print job survives a power cut. Default true. */
  readonly durable?: boolean;
}

/**
 * Storage in a directory, one file per key (named by the key's SHA-256), each written to a
 * temporary file and renamed over the old one: a crash leaves the old value or the new one, never
 * half of either. For Node services, desktop agents and Electron's main process.
 */
export class FileStorage implements KeyValueStorage {
  private readonly durable: boolean;

  constructor(
    private readonly directory: string,
    options: FileStorageOptions = {},
  ) {
    this.durable = options.durable ?? true;
    mkdirSync(directory, { recursive: true });
  }

  getItem(key: string): string | null {
    try {
      return readFileSync(this.path(key), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  setItem(key: string, value: string): void {
    const path = this.path(key);
    const temporary = `${path}.${process.pid}.tmp`;
    const fd = openSync(temporary, 'w');
    try {
      writeSync(fd, value);
      if (this.durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  }

  removeItem(key: string): void {
    try {
      unlinkSync(this.path(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  private path(key: string): string {
    return join(this.directory, `${createHash('sha256').update(key).digest('hex')}.json`);
  }
}
