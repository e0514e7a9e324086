import { appendFileSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventDraft } from './bus-engine';

/** Events for one channel, published together (they get consecutive seqs when flushed). */
export interface QueuedGroup {
  readonly key: string;
  readonly drafts: readonly EventDraft[];
}

export interface OutageLimits {
  readonly maxEvents: number;
  readonly maxBytes: number;
}

type SpoolLine = { g: [string, readonly EventDraft[]] } | { f: number };

/**
 * A write-ahead file of this instance's queued publishes. Each line is written synchronously
 * before the publisher is answered, so a worker that crashes during an outage leaves its queue
 * on disk; another instance (or its restart) adopts and flushes it once Redis is back.
 * Format: `{"g":[key,drafts]}` per queued group, `{"f":n}` once the first n groups were flushed.
 */
export class OutageSpool {
  private readonly file: string;

  constructor(
    private readonly dir: string,
    private readonly instanceId: string,
  ) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, `${instanceId}.spool`);
  }

  append(group: QueuedGroup): void {
    appendFileSync(this.file, `${JSON.stringify({ g: [group.key, group.drafts] } satisfies SpoolLine)}\n`);
  }

  flushed(count: number): void {
    appendFileSync(this.file, `${JSON.stringify({ f: count } satisfies SpoolLine)}\n`);
  }

  /** The queue drained: nothing on disk is owed any more. */
  clear(): void {
    writeFileSync(this.file, '');
  }

  /** Spool files of instances that are not alive (crashed, or restarted under a new instance id). */
  orphans(alive: ReadonlySet<string>): string[] {
    return readdirSync(this.dir)
      .filter((name) => name.endsWith('.spool'))
      .map((name) => name.slice(0, -'.spool'.length))
      .filter((instance) => instance !== this.instanceId && !alive.has(instance))
      .map((instance) => join(this.dir, `${instance}.spool`));
  }

  /** Reads an orphan's groups that were never flushed, and deletes the file. A torn last line is skipped. */
  adopt(file: string): QueuedGroup[] {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
      unlinkSync(file);
    } catch {
      return []; // another instance adopted it first
    }
    const groups: QueuedGroup[] = [];
    let flushed = 0;
    for (const line of text.split('\n')) {
      if (!line) continue;
      let parsed: SpoolLine;
      try {
        parsed = JSON.parse(line) as SpoolLine;
      } catch {
        continue;
      }
      if ('g' in parsed) groups.push({ key: parsed.g[0], drafts: parsed.g[1] });
      else flushed = parsed.f;
    }
    return groups.slice(flushed);
  }
}

/**
 * The bounded FIFO of publishes made while Redis was unreachable (by default 10,000 events or
 * 16 MB, whichever fills first). While it holds anything, every new publish joins its tail, so
 * the flush preserves publish order and nothing newer overtakes it.
 */
export class OutageQueue {
  private readonly groups: { group: QueuedGroup; events: number; bytes: number }[] = [];
  private events = 0;
  private bytes = 0;
  private flushedSinceClear = 0;

  constructor(
    private readonly limits: OutageLimits,
    private readonly spool?: OutageSpool,
  ) {}

  get empty(): boolean {
    return this.groups.length === 0;
  }

  get depth(): { events: number; bytes: number } {
    return { events: this.events, bytes: this.bytes };
  }

  /**
   * False when the group would not fit: the caller answers 503, never drops silently. `force`
   * is for groups already owed to publishers (adopted from a crashed worker's spool).
   */
  push(group: QueuedGroup, force = false): boolean {
    return this.pushAll([group], force);
  }

  /** Queues all the groups (one publish request) or, when they would not all fit, none of them. */
  pushAll(groups: readonly QueuedGroup[], force = false): boolean {
    const sized = groups.map((queued) => {
      const group = { key: queued.key, drafts: queued.drafts.map(withoutDataJson) };
      return { group, events: group.drafts.length, bytes: Buffer.byteLength(JSON.stringify(group.drafts)) };
    });
    const events = sized.reduce((sum, entry) => sum + entry.events, 0);
    const bytes = sized.reduce((sum, entry) => sum + entry.bytes, 0);
    if (!force && (this.events + events > this.limits.maxEvents || this.bytes + bytes > this.limits.maxBytes)) return false;
    for (const entry of sized) {
      this.spool?.append(entry.group);
      this.groups.push(entry);
    }
    this.events += events;
    this.bytes += bytes;
    return true;
  }

  /** The oldest `count` groups, oldest first. */
  head(count: number): QueuedGroup[] {
    return this.groups.slice(0, count).map(({ group }) => group);
  }

  /** Removes the head after it was published. */
  shift(): void {
    const head = this.groups.shift();
    if (!head) return;
    this.events -= head.events;
    this.bytes -= head.bytes;
    this.flushedSinceClear += 1;
    if (this.groups.length === 0) {
      this.flushedSinceClear = 0;
      this.spool?.clear();
    } else {
      this.spool?.flushed(this.flushedSinceClear);
    }
  }
}

/** A queued draft keeps its data once: the JSON text the publish API measured is rebuilt on flush, not held (or spooled) twice. */
function withoutDataJson(draft: EventDraft): EventDraft {
  if (draft.dataJson === undefined) return draft;
  const { dataJson: _dropped, ...rest } = draft;
  return rest;
}
