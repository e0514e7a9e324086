import type { ConnectionState, NamespaceHandle, NamespaceName, SessionPayload } from '@switchboard/client';
import { useCallback, useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import { useSwitchboardClient } from './provider.js';

const noop = (): void => undefined;

/** The handle of one namespace of the provider's client (it connects when first asked for). */
export function useNamespace<N extends NamespaceName>(name: N): NamespaceHandle<N> | undefined {
  const client = useSwitchboardClient();
  return useMemo(() => client?.namespace(name), [client, name]);
}

/** A namespace's connection state, for a badge: `idle` until there is a client. */
export function useConnectionState(name: NamespaceName): ConnectionState {
  const handle = useNamespace(name);
  const subscribe = useCallback((changed: () => void) => handle?.onState(changed) ?? noop, [handle]);
  // The third argument is the server render's answer (Next.js, renderToString): no client there.
  return useSyncExternalStore(
    subscribe,
    () => handle?.state ?? 'idle',
    () => 'idle',
  );
}

/**
 * The last `session` the server sent on this namespace: who the token is, its limits, the node.
 * It is kept while the namespace reconnects (identity does not change with the connection), so a
 * page built on it does not unmount on every network blip; `useConnectionState` says whether it
 * is live. A new client (new url or token) starts from none.
 */
export function useSession(name: NamespaceName): SessionPayload | undefined {
  const handle = useNamespace<NamespaceName>(name);
  const [session, setSession] = useState<SessionPayload | undefined>(handle?.session);
  useEffect(() => {
    setSession(handle?.session);
    return handle?.on('session', setSession);
  }, [handle]);
  return session;
}
