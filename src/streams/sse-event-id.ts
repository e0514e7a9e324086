import type { Position } from '../bus/envelope';

/** Longest Last-Event-ID read: 100 channels of the longest names and positions fit well within. */
const MAX_EVENT_ID_LENGTH = 16_384;
const KEY_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const POSITION_PATTERN = /^((?:company|branch|user):[A-Za-z0-9_-]{1,64})=([A-Za-z0-9_-]{1,64})\.(\d{1,15})$/;

export interface SseEventId {
  /** The stream's resume key (a single-use credential), absent in a position-only id. */
  readonly key?: string;
  /** Each channel's position: its last event delivered, or where it was subscribed. */
  readonly positions: ReadonlyMap<string, Position>;
}

/**
 * The SSE `id` of every event: `<resume key> <channel>=<epoch>.<seq> …`. A browser sends the
 * last one back as `Last-Event-ID` when it reconnects on its own, so the id must hold all the
 * stream needs to resume: a credential (the URL's ticket is spent by then, and tokens never go in
 * URLs) and where each channel stopped. Spaces cannot occur in keys, channel names or epochs.
 */
export function formatEventId(key: string | undefined, positions: ReadonlyMap<string, Position>): string {
  let id = key ?? '';
  for (const [channel, position] of positions) id += ` ${channel}=${position.epoch}.${position.seq}`;
  return key === undefined ? id.slice(1) : id;
}

/** The parsed id, or undefined when it is not one of ours (the caller answers VALIDATION_FAILED). */
export function parseEventId(value: string): SseEventId | undefined {
  if (value.length > MAX_EVENT_ID_LENGTH) return undefined;
  const parts = value.split(' ').filter((part) => part !== '');
  let key: string | undefined;
  if (parts.length > 0 && KEY_PATTERN.test(parts[0])) key = parts.shift();
  const positions = new Map<string, Position>();
  for (const part of parts) {
    const match = POSITION_PATTERN.exec(part);
    if (!match) return undefined;
    const seq = Number(match[3]);
    if (!Number.isSafeInteger(seq)) return undefined;
    positions.set(match[1], { epoch: match[2], seq });
  }
  return key === undefined ? { positions } : { key, positions };
}
