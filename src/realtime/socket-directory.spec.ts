import { EventEmitter } from 'node:events';
import type { Namespace } from 'socket.io';
import { channelRef } from '../channels/channel-ref';
import { parseChannel } from '../channels/channel-name';
import type { ChannelMember } from './channel-members';
import { SocketDirectory } from './socket-directory';

const ref = channelRef('acme', 'orders', parseChannel('branch:b1'));
const member = (): ChannelMember => ({ deliver: () => undefined, reset: () => undefined });

/** A namespace whose adapter holds rooms as Socket.IO's does (a Map of socket id sets) and emits delete-room. */
function namespace(): Namespace & { adapter: EventEmitter & { rooms: Map<string, Set<string>> } } {
  const adapter = Object.assign(new EventEmitter(), { rooms: new Map<string, Set<string>>() });
  return { adapter, sockets: new Map() } as unknown as Namespace & { adapter: EventEmitter & { rooms: Map<string, Set<string>> } };
}

describe('SocketDirectory', () => {
  it('counts a room and plain-transport members as local subscribers of a channel', () => {
    const directory = new SocketDirectory();
    const nsp = namespace();
    directory.attachNamespace('orders', nsp);
    expect(directory.hasLocalSubscribers(ref)).toBe(false);
    nsp.adapter.rooms.set(ref.key, new Set(['s1', 's2']));
    expect([directory.roomSize(ref), directory.hasLocalSubscribers(ref)]).toEqual([2, true]);
    nsp.adapter.rooms.delete(ref.key);
    const stream = member();
    directory.addMember(ref, stream);
    expect(directory.hasLocalSubscribers(ref)).toBe(true);
    expect([...(directory.membersOf(ref) ?? [])]).toEqual([stream]);
  });

  it('tells its listeners when a channel room is deleted or its last member leaves, and only then', () => {
    const directory = new SocketDirectory();
    const nsp = namespace();
    directory.attachNamespace('orders', nsp);
    const emptied: string[] = [];
    directory.onChannelEmptied((emptiedRef) => emptied.push(emptiedRef.key));
    nsp.adapter.emit('delete-room', ref.key);
    nsp.adapter.emit('delete-room', 'socket-id-room'); // a socket's own room is not a channel
    const [first, second] = [member(), member()];
    directory.addMember(ref, first);
    directory.addMember(ref, second);
    directory.removeMember(ref, first);
    expect(emptied).toEqual([ref.key]);
    directory.removeMember(ref, second);
    expect(emptied).toEqual([ref.key, ref.key]);
  });
});
