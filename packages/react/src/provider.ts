import { createClient, type ClientOptions, type SwitchboardClient } from '@switchboard/client';
import { createContext, createElement, useContext, useEffect, useRef, useState, type ReactNode } from 'react';

const SwitchboardContext = createContext<SwitchboardClient | undefined>(undefined);

export type SwitchboardProviderProps = { readonly children?: ReactNode } & (
  | {
      /** A client the application created and closes itself. */
      readonly client: SwitchboardClient;
      readonly options?: never;
    }
  | {
      /**
       * The provider creates the client, and closes it on unmount. A new `url` or `token` makes a
       * new client; other options are read when it is created, except `getToken`: the latest
       * function passed is the one called.
       */
      readonly options: ClientOptions;
      readonly client?: never;
    }
);

/**
 * Makes one Switchboard client available to the hooks below it.
 *
 * With `options`, the client is created in an effect and closed in its cleanup: React's
 * StrictMode mounts twice in development, and a client created during render would leak its
 * connection. The hooks therefore see no client on the first render, and treat it as `idle`.
 */
export function SwitchboardProvider(props: SwitchboardProviderProps): ReactNode {
  const given = props.client;
  const options = props.options;
  const latest = useRef(options);
  latest.current = options;
  const [created, setCreated] = useState<SwitchboardClient>();
  const url = options?.url;
  const token = options?.token;
  useEffect(() => {
    const current = latest.current;
    if (given || !current) return undefined;
    // getToken through the ref: an inline arrow function must not make a new client each render.
    const initial = current.getToken;
    const getToken = initial && (() => (latest.current?.getToken ?? initial)());
    const client = createClient({ ...current, ...(getToken ? { getToken } : {}) });
    setCreated(client);
    return () => {
      client.close();
      setCreated(undefined);
    };
  }, [given, url, token]);
  return createElement(SwitchboardContext.Provider, { value: given ?? created }, props.children);
}

/** The provider's client; `undefined` outside a provider and until the provider has created it. */
export function useSwitchboardClient(): SwitchboardClient | undefined {
  return useContext(SwitchboardContext);
}
