import { AppError, ErrorCode } from '../common/app.errors';

export const CHANNEL_KINDS = ['company', 'branch', 'user'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/** A parsed, canonical channel name such as `branch:b1`. */
export interface ChannelName {
  readonly kind: ChannelKind;
  readonly id: string;
  /** Exactly the string the client sent, which is already canonical once it parses. */
  readonly name: string;
}

// Anchored, case-sensitive and ASCII-only: `Company:1`, `company:1 ` and Unicode look-alikes all fail.
const CHANNEL_PATTERN = /^(company|branch|user):([A-Za-z0-9_-]{1,64})$/;

export function tryParseChannel(value: unknown): ChannelName | undefined {
  if (typeof value !== 'string' || value.length > 72) return undefined;
  const match = CHANNEL_PATTERN.exec(value);
  if (!match) return undefined;
  return { kind: match[1] as ChannelKind, id: match[2], name: value };
}

/** Parses a channel name or throws VALIDATION_FAILED naming the accepted forms. */
export function parseChannel(value: unknown, path = 'channel'): ChannelName {
  const parsed = tryParseChannel(value);
  if (parsed) return parsed;
  throw new AppError(
    ErrorCode.VALIDATION_FAILED,
    `${path} must be company:<id>, branch:<id> or user:<id> with <id> matching [A-Za-z0-9_-]{1,64}`,
    [{ path, errors: ['invalid channel name'] }],
  );
}
