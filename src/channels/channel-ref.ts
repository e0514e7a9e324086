import { isId } from '../common/ids';
import type { ChannelName } from './channel-name';

/**
 * A channel scoped to one company and one namespace. `key` (for example `acme/orders/branch:b1`)
 * names the room, the history, the sequence and the epoch, so two companies that both have a
 * branch `b1` can never share any of them.
 */
export interface ChannelRef {
  readonly companyId: string;
  readonly namespace: string;
  readonly channel: string;
  readonly key: string;
}

export function channelRef(companyId: string, namespace: string, channel: ChannelName | string): ChannelRef {
  // Callers have validated both already; this re-check keeps a forged key out even if one forgets.
  if (!isId(companyId) || !isId(namespace)) throw new Error(`invalid scope ${companyId}/${namespace}`);
  const name = typeof channel === 'string' ? channel : channel.name;
  return { companyId, namespace, channel: name, key: `${companyId}/${namespace}/${name}` };
}

/** Inverse of channelRef().key, for keys that arrive from Redis. */
export function refFromKey(key: string): ChannelRef | undefined {
  const first = key.indexOf('/');
  const second = key.indexOf('/', first + 1);
  if (first <= 0 || second <= first + 1) return undefined;
  const companyId = key.slice(0, first);
  const namespace = key.slice(first + 1, second);
  const channel = key.slice(second + 1);
  if (!isId(companyId) || !isId(namespace) || channel.length === 0) return undefined;
  return { companyId, namespace, channel, key };
}
