import type {
  EventHandler,
  NamespaceName,
  ResyncContext,
  ResyncReason,
  SubscribeOptions,
  SubscribedInfo,
  SwitchboardError,
} from '@switchboard/client';
import { useEffect, useRef, useState } from 'react';
import { useNamespace } from './connection.js';

export interface ChannelStatus {
  /** Set once the server confirmed the subscription (again after every reconnection). */
  readonly subscribed?: SubscribedInfo;
  /**
   * The latest resync notice: the channel's history could not be replayed, or its stream was
   * reset. What the page holds of this channel may be stale; `onResync` is where it reloads.
   */
  readonly resync?: { readonly reason: ResyncReason; readonly context: ResyncContext; readonly at: number };
  /** The subscription was refused for good (FORBIDDEN, VALIDATION_FAILED, LIMIT_EXCEEDED). */
  readonly error?: SwitchboardError;
}

const IDLE: ChannelStatus = {};

/**
 * Follows one channel while the component is mounted, resuming from the saved position after
 * reconnects and reloads. `channel` undefined (or `enabled: false`) follows nothing.
 *
 * The handler and options are read through a ref: a new function each render neither
 * unsubscribes nor loses an event. Events reach it in seq order, once each.
 */
export function useChannel<N extends NamespaceName>(
  namespace: N,
  channel: string | undefined,
  handler: EventHandler<N>,
  options: SubscribeOptions<N> & { readonly enabled?: boolean } = {},
): ChannelStatus {
  const handle = useNamespace(namespace);
  const latest = useRef({ handler, options });
  latest.current = { handler, options };
  const [status, setStatus] = useState<ChannelStatus>(IDLE);
  const enabled = options.enabled ?? true;

  useEffect(() => {
    if (!handle || channel === undefined || !enabled) return undefined;
    setStatus(IDLE);
    return handle.subscribe(channel, (event) => latest.current.handler(event), {
      onSubscribed: (info) => {
        setStatus((current) => ({ ...current, subscribed: info, error: undefined }));
        latest.current.options.onSubscribed?.(info);
      },
      onResync: (reason, context) => {
        setStatus((current) => ({ ...current, resync: { reason, context, at: Date.now() } }));
        return latest.current.options.onResync?.(reason, context);
      },
      onSnapshot: (snapshot) => latest.current.options.onSnapshot?.(snapshot),
      onError: (error) => {
        setStatus((current) => ({ ...current, subscribed: undefined, error }));
        latest.current.options.onError?.(error);
      },
    });
  }, [handle, channel, enabled]);
  return status;
}
