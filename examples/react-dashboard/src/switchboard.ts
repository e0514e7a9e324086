import { createClient, type ConnectionState, type NamespaceHandle, type NamespaceName, type SwitchboardClient } from '@switchboard/client';
import { useEffect, useState } from 'react';

/**
 * One client per server and token, created in an effect and closed in its cleanup (React's
 * StrictMode mounts twice in development: the first client is closed, the second one stays).
 */
export function useClient(server: string, token: string, onError: (message: string) => void): SwitchboardClient | undefined {
  const [client, setClient] = useState<SwitchboardClient>();
  useEffect(() => {
    const created = createClient({
      url: server,
      token,
      onError: (error, context) =>
        onError(`/${context.namespace}${context.channel ? ` ${context.channel}` : ''}: ${error.code} ${error.message}`),
    });
    setClient(created);
    return () => created.close();
  }, [server, token, onError]);
  return client;
}

/** What a badge needs of any namespace handle. */
export type StateSource = Pick<NamespaceHandle<NamespaceName>, 'state' | 'onState'>;

/** A namespace's connection state, for a badge. */
export function useConnectionState(handle: StateSource | undefined): ConnectionState {
  const [state, setState] = useState<ConnectionState>(handle?.state ?? 'idle');
  useEffect(() => {
    if (!handle) return undefined;
    setState(handle.state);
    return handle.onState((change) => setState(change.state));
  }, [handle]);
  return state;
}
