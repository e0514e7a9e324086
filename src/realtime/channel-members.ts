import type { ChannelRef } from '../channels/channel-ref';
import type { Envelope } from '../bus/envelope';
import type { ChannelResetPayload } from './realtime.events';

/**
 * A subscriber that is not a Socket.IO socket (an SSE stream, a plain WebSocket): it follows a
 * channel on this node and is handed the same deliveries, in the same order, as the channel's
 * Socket.IO room. Calls never throw: a member that cannot write ends itself.
 */
export interface ChannelMember {
  /** Consecutive events of one channel, in seq order (one publish's batch, or one event). */
  deliver(ref: ChannelRef, epoch: string, events: readonly Envelope[]): void;
  /** The live stream could not continue gap-free (the socket's `channel:reset`). */
  reset(ref: ChannelRef, payload: ChannelResetPayload): void;
}

/**
 * The members of each channel key on this node, beside Socket.IO's rooms. Kept apart from the
 * rooms so that Socket.IO's adapter (and the Redis adapter's room bookkeeping) never sees them.
 */
export class ChannelMembers {
  private readonly byKey = new Map<string, Set<ChannelMember>>();

  get(key: string): ReadonlySet<ChannelMember> | undefined {
    return this.byKey.get(key);
  }

  /** Every key with its member count (for the occupancy metrics). */
  *counts(): IterableIterator<[string, number]> {
    for (const [key, members] of this.byKey) yield [key, members.size];
  }

  count(key: string): number {
    return this.byKey.get(key)?.size ?? 0;
  }

  add(key: string, member: ChannelMember): void {
    let members = this.byKey.get(key);
    if (!members) this.byKey.set(key, (members = new Set()));
    members.add(member);
  }

  /** True when the key has no member left (the caller may then release the channel's feed). */
  remove(key: string, member: ChannelMember): boolean {
    const members = this.byKey.get(key);
    if (!members?.delete(member)) return false;
    if (members.size > 0) return false;
    this.byKey.delete(key);
    return true;
  }
}
