export const PRESENCE_STATUSES = ['online', 'away', 'busy'] as const;
export type PresenceStatus = (typeof PRESENCE_STATUSES)[number];
export type PresenceMeta = Record<string, string | number | boolean | null>;

/** What a user chose to show: set by presence:update. */
export interface PresenceProfile {
  readonly status: PresenceStatus;
  readonly view: string | null;
  readonly meta: PresenceMeta | null;
}

/** A presence:update: status always; view and meta only when given (null clears them). */
export interface ProfilePatch {
  readonly status: PresenceStatus;
  readonly view?: string | null;
  readonly meta?: PresenceMeta | null;
}

/** One user in one channel, deduplicated across tabs, devices and nodes. */
export interface PresenceMember extends PresenceProfile {
  readonly userId: string;
  /** Open connections of this user in this channel (0 during the leave grace period). */
  readonly connections: number;
  /** When the user joined (epoch ms). */
  readonly since: number;
  /** Last presence:update or heartbeat (epoch ms). */
  readonly lastActiveAt: number;
}

/** A member removed by a sweep, with the channel key it left. */
export interface Departure {
  readonly key: string;
  readonly userId: string;
}

export interface SweepRules {
  /** Taken before `alive` was read: connections opened after it are never treated as a dead node's. */
  readonly now: number;
  /** Instances whose connections still count. */
  readonly alive: ReadonlySet<string>;
  readonly graceMs: number;
  readonly ttlMs: number;
}

export const PRESENCE_STORE = Symbol('PRESENCE_STORE');

/**
 * Presence state per channel key. `connectionId` is `<instanceId>|<socketId>`, so a sweep can
 * drop the connections of dead instances. Every method is atomic per key: two nodes racing to
 * remove a member never both succeed, so presence:left is published once.
 */
export interface PresenceStore {
  /** Adds a connection; `first` when the user was not a member (a rejoin within the grace period is not first). */
  join(key: string, userId: string, connectionId: string, now: number): Promise<{ first: boolean; member: PresenceMember }>;
  /** Removes a connection; `last` when the user has no connection left in this channel. */
  leave(key: string, userId: string, connectionId: string, now: number): Promise<{ last: boolean }>;
  /** Applies a profile patch and records activity; undefined when the user is not a member. */
  update(key: string, userId: string, patch: ProfilePatch, now: number): Promise<PresenceMember | undefined>;
  /** Records activity; false when the user is not a member. */
  touch(key: string, userId: string, now: number): Promise<boolean>;
  list(key: string): Promise<PresenceMember[]>;
  /** Removes the member if it has no connection and its grace period is over; true if this call removed it. */
  removeIfGone(key: string, userId: string, now: number, graceMs: number): Promise<boolean>;
  /** Drops connections of dead instances, and members past their grace period or idle past the TTL. */
  sweep(rules: SweepRules): Promise<Departure[]>;
}

export const DEFAULT_PROFILE: PresenceProfile = { status: 'online', view: null, meta: null };
