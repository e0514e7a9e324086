import type { PresenceMember, PresenceProfile } from '@switchboard/client';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useNamespace } from './connection.js';
import { useSwitchboardClient } from './provider.js';

type PresenceEvent =
  | { readonly event: 'presence:joined' | 'presence:updated'; readonly data: PresenceMember }
  | { readonly event: 'presence:left'; readonly data: { readonly userId: string } };

function apply(members: ReadonlyMap<string, PresenceMember>, event: PresenceEvent): ReadonlyMap<string, PresenceMember> {
  const next = new Map(members);
  if (event.event === 'presence:left') next.delete(event.data.userId);
  else next.set(event.data.userId, event.data);
  return next;
}

export interface PresenceState {
  /** Who is present in the channel, by user id; one entry per user, however many tabs. */
  readonly members: readonly PresenceMember[];
  /** False until the first list arrived (and again while it is fetched after a reconnect). */
  readonly loaded: boolean;
}

/**
 * Who is in a presence channel (`company:{id}` or `branch:{id}` on /presence), kept current from
 * `presence:joined`, `presence:updated` and `presence:left`. With `profile`, this user's status,
 * view and meta are set (on every connection) and heartbeated by the client's PresenceKeeper.
 *
 * On each (re)subscription the list is fetched again. Events that arrive while it is on its way
 * are applied on top of it in seq order: each carries a whole member (or a departure), so the
 * result is the same whether the list was read before or after them.
 */
export function usePresence(channel: string | undefined, profile?: PresenceProfile): PresenceState {
  const client = useSwitchboardClient();
  const handle = useNamespace('presence');
  const [members, setMembers] = useState<ReadonlyMap<string, PresenceMember>>(new Map());
  const [loaded, setLoaded] = useState(false);
  const profileKey = profile === undefined ? undefined : JSON.stringify(profile);
  const latestProfile = useRef(profile);
  latestProfile.current = profile;

  useEffect(() => {
    const current = latestProfile.current;
    if (!client || !current) return;
    client
      .presence()
      .set(current)
      .catch(() => undefined); // failures reach the client's onError
  }, [client, profileKey]);

  useEffect(() => {
    if (!client || !handle || channel === undefined) return undefined;
    let active = true;
    /** Events seen while a list is on its way; undefined when no list is. */
    let pending: PresenceEvent[] | undefined;
    setMembers(new Map());
    setLoaded(false);
    const stop = handle.subscribe(
      channel,
      (event) => {
        const change = event as PresenceEvent;
        pending?.push(change);
        setMembers((current) => apply(current, change));
      },
      {
        onSubscribed: () => {
          const seen: PresenceEvent[] = [];
          pending = seen;
          setLoaded(false);
          client
            .presence()
            .members(channel)
            .then((list) => {
              if (!active || pending !== seen) return;
              pending = undefined;
              let next: ReadonlyMap<string, PresenceMember> = new Map(list.map((member) => [member.userId, member]));
              for (const change of seen) next = apply(next, change);
              setMembers(next);
              setLoaded(true);
            })
            .catch(() => undefined); // a reconnect subscribes again, and lists again
        },
      },
    );
    return () => {
      active = false;
      stop();
    };
  }, [client, handle, channel]);

  const list = useMemo(() => [...members.values()].sort((a, b) => a.userId.localeCompare(b.userId)), [members]);
  return { members: list, loaded };
}
