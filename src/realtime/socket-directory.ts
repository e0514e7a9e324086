import { Injectable } from '@nestjs/common';
import type { Namespace } from 'socket.io';
import { refFromKey, type ChannelRef } from '../channels/channel-ref';
import { ChannelMembers, type ChannelMember } from './channel-members';

/**
 * Who follows what on this node: each gateway's Socket.IO namespace (whose rooms are channel
 * keys), and the plain-transport members of each channel beside the rooms. It says when a channel
 * lost its last local subscriber (onChannelEmptied), so the bus can let its feed go.
 */
@Injectable()
export class SocketDirectory {
  private readonly namespaces = new Map<string, Namespace>();
  /** Subscribers on the plain transports (SSE, WebSocket), per channel key, beside the rooms. */
  private readonly members = new ChannelMembers();
  private readonly emptied = new Set<(ref: ChannelRef) => void>();

  /** Called by each gateway once its namespace exists. */
  attachNamespace(name: string, nsp: Namespace): void {
    this.namespaces.set(name, nsp);
    nsp.adapter.on('delete-room', (room: string) => {
      const ref = refFromKey(room);
      if (ref) this.channelEmptied(ref);
    });
  }

  /** `listener` hears of every channel that may have lost its last local subscriber. */
  onChannelEmptied(listener: (ref: ChannelRef) => void): void {
    this.emptied.add(listener);
  }

  /** A plain-transport subscriber joins a channel (after its replay, like a socket joining the room). */
  addMember(ref: ChannelRef, member: ChannelMember): void {
    this.members.add(ref.key, member);
  }

  /** It left: with no room and no member left on this node, the channel may be released. */
  removeMember(ref: ChannelRef, member: ChannelMember): void {
    if (this.members.remove(ref.key, member)) this.channelEmptied(ref);
  }

  /** The Socket.IO namespace of a registered gateway (`orders`, not `/orders`). */
  namespace(name: string): Namespace | undefined {
    return this.namespaces.get(name);
  }

  namespaceNames(): string[] {
    return [...this.namespaces.keys()];
  }

  /** Every registered namespace, by name. */
  entries(): IterableIterator<[string, Namespace]> {
    return this.namespaces.entries();
  }

  /** Sockets in a channel's room on this node. */
  roomSize(ref: ChannelRef): number {
    return this.namespaces.get(ref.namespace)?.adapter.rooms.get(ref.key)?.size ?? 0;
  }

  membersOf(ref: ChannelRef): ReadonlySet<ChannelMember> | undefined {
    return this.members.get(ref.key);
  }

  /** Every channel key with plain-transport members, and how many. */
  memberCounts(): IterableIterator<[string, number]> {
    return this.members.counts();
  }

  hasLocalSubscribers(ref: ChannelRef): boolean {
    return this.roomSize(ref) > 0 || this.members.count(ref.key) > 0;
  }

  private channelEmptied(ref: ChannelRef): void {
    for (const listener of this.emptied) listener(ref);
  }
}
