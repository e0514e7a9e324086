import {
  DEFAULT_PROFILE,
  type Departure,
  type PresenceMember,
  type PresenceProfile,
  type PresenceStore,
  type ProfilePatch,
  type SweepRules,
} from './presence.store';

interface MemberState {
  profile: PresenceProfile;
  since: number;
  lastActiveAt: number;
  /** Set when the last connection closed; cleared on rejoin. */
  leftAt: number | undefined;
  /** Connection id -> when it joined. */
  connections: Map<string, number>;
}

/** The embedded engine's presence: one process, so plain maps are atomic. */
export class MemoryPresenceStore implements PresenceStore {
  private readonly channels = new Map<string, Map<string, MemberState>>();

  join(key: string, userId: string, connectionId: string, now: number): Promise<{ first: boolean; member: PresenceMember }> {
    const members = this.members(key, true);
    let state = members.get(userId);
    const first = !state;
    if (!state) {
      state = { profile: DEFAULT_PROFILE, since: now, lastActiveAt: now, leftAt: undefined, connections: new Map() };
      members.set(userId, state);
    }
    if (!state.connections.has(connectionId)) state.connections.set(connectionId, now);
    state.leftAt = undefined;
    return Promise.resolve({ first, member: view(userId, state) });
  }

  leave(key: string, userId: string, connectionId: string, now: number): Promise<{ last: boolean }> {
    const state = this.members(key)?.get(userId);
    if (!state || !state.connections.delete(connectionId)) return Promise.resolve({ last: false });
    if (state.connections.size > 0) return Promise.resolve({ last: false });
    state.leftAt = now;
    return Promise.resolve({ last: true });
  }

  update(key: string, userId: string, patch: ProfilePatch, now: number): Promise<PresenceMember | undefined> {
    const state = this.members(key)?.get(userId);
    if (!state) return Promise.resolve(undefined);
    state.profile = {
      status: patch.status,
      view: patch.view === undefined ? state.profile.view : patch.view,
      meta: patch.meta === undefined ? state.profile.meta : patch.meta,
    };
    state.lastActiveAt = now;
    return Promise.resolve(view(userId, state));
  }

  touch(key: string, userId: string, now: number): Promise<boolean> {
    const state = this.members(key)?.get(userId);
    if (state) state.lastActiveAt = now;
    return Promise.resolve(state !== undefined);
  }

  list(key: string): Promise<PresenceMember[]> {
    return Promise.resolve([...(this.members(key)?.entries() ?? [])].map(([userId, state]) => view(userId, state)));
  }

  removeIfGone(key: string, userId: string, now: number, graceMs: number): Promise<boolean> {
    const members = this.members(key);
    const state = members?.get(userId);
    if (!members || !state || state.connections.size > 0 || state.leftAt === undefined || state.leftAt + graceMs > now) {
      return Promise.resolve(false);
    }
    this.remove(key, members, userId);
    return Promise.resolve(true);
  }

  sweep({ now, alive, graceMs, ttlMs }: SweepRules): Promise<Departure[]> {
    const departures: Departure[] = [];
    for (const [key, members] of this.channels) {
      for (const [userId, state] of members) {
        for (const [connection, joinedAt] of state.connections) {
          if (joinedAt < now && !alive.has(connection.slice(0, connection.indexOf('|')))) state.connections.delete(connection);
        }
        if (state.connections.size === 0) state.leftAt ??= now;
        const gone = state.connections.size === 0 && (state.leftAt as number) + graceMs <= now;
        if (gone || state.lastActiveAt + ttlMs <= now) {
          this.remove(key, members, userId);
          departures.push({ key, userId });
        }
      }
    }
    return Promise.resolve(departures);
  }

  private members(key: string, create: true): Map<string, MemberState>;
  private members(key: string): Map<string, MemberState> | undefined;
  private members(key: string, create?: boolean): Map<string, MemberState> | undefined {
    let members = this.channels.get(key);
    if (!members && create) {
      members = new Map();
      this.channels.set(key, members);
    }
    return members;
  }

  private remove(key: string, members: Map<string, MemberState>, userId: string): void {
    members.delete(userId);
    if (members.size === 0) this.channels.delete(key);
  }
}

function view(userId: string, state: MemberState): PresenceMember {
  return { userId, ...state.profile, connections: state.connections.size, since: state.since, lastActiveAt: state.lastActiveAt };
}
