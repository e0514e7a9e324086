import { readJson, type KeyValueStorage } from './storage.js';
import type { PrintJobPayload } from './types.js';

/** Where a job is on this agent. `printing` found at startup means the agent died mid-print. */
export type LocalJobState = 'queued' | 'printing' | 'printed' | 'failed' | 'cancelled';

export interface JournalEntry {
  readonly jobId: string;
  readonly state: LocalJobState;
  /** The server has the outcome (printed/failed), or needs none (cancelled). */
  readonly reported: boolean;
  readonly attempt: number;
  readonly receivedAt: number;
  readonly updatedAt: number;
  readonly error?: string;
  /** The job itself, kept until it is printed so that a restart can still print it. */
  readonly job?: PrintJobPayload;
}

export interface JournalOptions {
  /** Finished entries kept for deduplication. Default 5,000. */
  readonly limit?: number;
  /** How long a finished entry is kept. Default 7 days (the server's PRINT_JOB_RETENTION_SECONDS). */
  readonly retentionMs?: number;
}

const STATES: readonly LocalJobState[] = ['queued', 'printing', 'printed', 'failed', 'cancelled'];

function isEntry(value: unknown): value is JournalEntry {
  const entry = value as Partial<JournalEntry> | null;
  return (
    typeof entry === 'object' &&
    entry !== null &&
    typeof entry.jobId === 'string' &&
    STATES.includes(entry.state as LocalJobState) &&
    typeof entry.reported === 'boolean' &&
    typeof entry.receivedAt === 'number'
  );
}

const isIndex = (value: unknown): value is string[] => Array.isArray(value) && value.every((id) => typeof id === 'string');

export const isFinished = (entry: JournalEntry): boolean => entry.state !== 'queued' && entry.state !== 'printing';

/**
 * The agent's own record of every job it accepted, in its storage: one key per job and an index
 * in order of receipt. A job is written here before the agent acknowledges it, so "accepted"
 * always means "safely on this machine"; a jobId found here is never printed twice.
 */
export class JobJournal {
  private readonly entries = new Map<string, JournalEntry>();
  private order: string[] = [];
  private readonly limit: number;
  private readonly retentionMs: number;

  constructor(
    private readonly storage: KeyValueStorage,
    private readonly scope: string,
    options: JournalOptions = {},
  ) {
    this.limit = Math.max(1, options.limit ?? 5_000);
    this.retentionMs = options.retentionMs ?? 7 * 24 * 3600 * 1000;
  }

  async load(): Promise<void> {
    const index = (await readJson(this.storage, this.indexKey(), isIndex)) ?? [];
    for (const jobId of index) {
      const entry = await readJson(this.storage, this.entryKey(jobId), isEntry);
      if (entry && entry.jobId === jobId && !this.entries.has(jobId)) {
        this.entries.set(jobId, entry);
        this.order.push(jobId);
      }
    }
  }

  get(jobId: string): JournalEntry | undefined {
    return this.entries.get(jobId);
  }

  /** Every entry, oldest first. */
  list(): JournalEntry[] {
    return this.order.map((jobId) => this.entries.get(jobId) as JournalEntry);
  }

  /** Writes the entry (the job's key first, then the index, so the index never names a missing entry). */
  async put(entry: JournalEntry): Promise<void> {
    await this.storage.setItem(this.entryKey(entry.jobId), JSON.stringify(entry));
    const added = !this.entries.has(entry.jobId);
    this.entries.set(entry.jobId, entry);
    if (added) {
      this.order.push(entry.jobId);
      await this.writeIndex();
    }
    if (isFinished(entry) && entry.reported) await this.prune();
  }

  /** Drops finished, reported entries past the retention or beyond the limit, oldest first. */
  private async prune(): Promise<void> {
    const now = Date.now();
    const finished = this.order.filter((jobId) => {
      const entry = this.entries.get(jobId) as JournalEntry;
      return isFinished(entry) && entry.reported;
    });
    const excess = finished.length - this.limit;
    const doomed = finished.filter(
      (jobId, index) => index < excess || now - (this.entries.get(jobId) as JournalEntry).updatedAt > this.retentionMs,
    );
    if (doomed.length === 0) return;
    const gone = new Set(doomed);
    this.order = this.order.filter((jobId) => !gone.has(jobId));
    await this.writeIndex();
    for (const jobId of doomed) {
      this.entries.delete(jobId);
      await this.storage.removeItem(this.entryKey(jobId));
    }
  }

  private writeIndex(): Promise<void> | void {
    return this.storage.setItem(this.indexKey(), JSON.stringify(this.order));
  }

  private indexKey(): string {
    return `${this.scope}|jobs`;
  }

  private entryKey(jobId: string): string {
    return `${this.scope}|job|${encodeURIComponent(jobId)}`;
  }
}
