import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, keepsDebugLines, type AppConfig } from '../config';
import type { Namespace } from 'socket.io';
import { refFromKey, type ChannelRef } from '../channels/channel-ref';
import type { DeliverySink } from '../bus/channel-stream';
import type { Envelope, Position, ResetReason } from '../bus/envelope';
import { EventBus } from '../bus/event-bus.service';
import { MetricsService, type RoomOccupancy } from '../metrics/metrics.service';
import { ChannelMembers, type ChannelMember } from './channel-members';
import { ChannelResets } from './channel-resets';
import { DeliveryCoalescer } from './delivery-coalescer';
import { writeToRoom } from './room-writer';
import type { SocketData } from './realtime.events';
import { RealtimeEvent, type BatchPayload, type ChannelResetPayload } from './realtime.events';

/**
 * The bus's delivery sink: turns a channel's events into Socket.IO emits to the room named
 * by the channel key, on this node only (`local`), because every node delivers from the bus
 * itself; broadcasting through the Socket.IO adapter as well would deliver twice.
 */
@Injectable()
export class DeliveryService implements DeliverySink, OnModuleDestroy {
  private readonly namespaces = new Map<string, Namespace>();
  private readonly coalescer: DeliveryCoalescer;
  /** Subscribers on the plain transports (SSE, WebSocket), per channel key, beside the rooms. */
  private readonly members = new ChannelMembers();

  private readonly logger = new Logger('Delivery');
  private readonly debugLogs: boolean;

  constructor(
    private readonly bus: EventBus,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly resets: ChannelResets,
  ) {
    this.debugLogs = keepsDebugLines(config.log);
    this.coalescer = new DeliveryCoalescer(config.delivery.coalesceMs, config.delivery.coalesceLoad, (ref, epoch, events) =>
      this.emit(ref, epoch, events),
    );
    bus.setSink(this);
    metrics.provide({
      connectionsByNamespace: () => this.connectionCounts(),
      companiesOfConnections: () => this.companiesOfConnections(),
      presenceMembers: () => this.distinctUsers('presence'),
      roomOccupancy: () => this.roomOccupancy(),
      outage: () => {
        const state = bus.outage;
        return (
          state && {
            queuedEvents: state.queued.events,
            queuedBytes: state.queued.bytes,
            maxEvents: state.limits.events,
            breaker: state.breaker,
          }
        );
      },
    });
  }

  /** Called by each gateway once its namespace exists. */
  attachNamespace(name: string, nsp: Namespace): void {
    this.namespaces.set(name, nsp);
    nsp.adapter.on('delete-room', (room: string) => {
      const ref = refFromKey(room);
      if (ref) this.bus.release(ref);
    });
  }

  /** A plain-transport subscriber joins a channel (after its replay, like a socket joining the room). */
  addMember(ref: ChannelRef, member: ChannelMember): void {
    this.members.add(ref.key, member);
  }

  /** It left: with no room and no member left on this node, the channel's feed may be released. */
  removeMember(ref: ChannelRef, member: ChannelMember): void {
    if (this.members.remove(ref.key, member)) this.bus.release(ref);
  }

  onModuleDestroy(): void {
    this.coalescer.close();
  }

  deliver(ref: ChannelRef, epoch: string, events: readonly Envelope[]): void {
    this.coalescer.deliver(ref, epoch, events);
  }

  /**
   * Sends what the coalescer holds for a channel. A subscriber calls this before joining the
   * room: its replay already covers held events, and they must not reach it a second time.
   */
  flush(ref: ChannelRef): void {
    this.coalescer.flush(ref);
  }

  private emit(ref: ChannelRef, epoch: string, events: readonly Envelope[]): void {
    const nsp = this.namespaces.get(ref.namespace);
    if (!nsp) return;
    const sockets = nsp.adapter.rooms.get(ref.key)?.size ?? 0;
    const members = this.members.get(ref.key);
    this.metrics.observeDelivery(ref, sockets + (members?.size ?? 0), events);
    // Per event, so debug only: follows a correlation id to every node that delivered it.
    if (this.debugLogs) {
      for (const event of events) {
        this.logger.debug({
          msg: 'delivered',
          id: event.id,
          channel: event.channel,
          seq: event.seq,
          correlationId: event.correlationId,
          sockets,
        });
      }
    }
    if (members) for (const member of members) member.deliver(ref, epoch, events);
    if (sockets === 0) return;
    const [event, payload] =
      events.length === 1
        ? [events[0].event, events[0]]
        : [RealtimeEvent.BATCH, { channel: ref.channel, epoch, events } satisfies BatchPayload];
    // Encoded once, written to every member; see writeToRoom for why not Socket.IO's broadcast.
    const written = writeToRoom(nsp, ref.key, event, payload);
    if (written) this.metrics.observeFrames(written);
    else nsp.local.to(ref.key).emit(event, payload);
  }

  reset(ref: ChannelRef, position: Position, reason: ResetReason): void {
    this.coalescer.flush(ref);
    const payload: ChannelResetPayload = { channel: ref.channel, epoch: position.epoch, seq: position.seq, reason };
    this.metrics.channelResets.inc({ reason });
    this.namespaces.get(ref.namespace)?.local.to(ref.key).emit(RealtimeEvent.CHANNEL_RESET, payload);
    const members = this.members.get(ref.key);
    if (members) for (const member of members) member.reset(ref, payload);
    this.resets.announce(ref, payload);
  }

  gapRefilled(): void {
    this.metrics.gapRefills.inc();
  }

  hasLocalSubscribers(ref: ChannelRef): boolean {
    return (this.namespaces.get(ref.namespace)?.adapter.rooms.get(ref.key)?.size ?? 0) > 0 || this.members.count(ref.key) > 0;
  }

  /** The Socket.IO namespace of a registered gateway (`orders`, not `/orders`). */
  namespace(name: string): Namespace | undefined {
    return this.namespaces.get(name);
  }

  namespaceNames(): string[] {
    return [...this.namespaces.keys()];
  }

  /** The company of every connected socket on this node (one entry per socket). */
  *companiesOfConnections(): Iterable<string> {
    for (const nsp of this.namespaces.values()) {
      for (const socket of nsp.sockets.values()) {
        const principal = (socket.data as Partial<SocketData>).principal;
        if (principal) yield principal.companyId;
      }
    }
  }

  /** Connected sockets on this node by company, then namespace path. */
  connectionsByCompany(): Map<string, Record<string, number>> {
    // Runs every second over every socket (the admin snapshot): counted per namespace in a Map
    // first, so that the inner loop builds no string and touches no record per socket.
    const result = new Map<string, Record<string, number>>();
    const perCompany = new Map<string, number>();
    for (const [name, nsp] of this.namespaces) {
      perCompany.clear();
      for (const socket of nsp.sockets.values()) {
        const principal = (socket.data as Partial<SocketData>).principal;
        if (principal) perCompany.set(principal.companyId, (perCompany.get(principal.companyId) ?? 0) + 1);
      }
      const path = `/${name}`;
      for (const [companyId, count] of perCompany) {
        let counts = result.get(companyId);
        if (!counts) result.set(companyId, (counts = {}));
        counts[path] = count;
      }
    }
    return result;
  }

  /**
   * Per namespace: channels followed on this node (Socket.IO rooms and plain-transport members),
   * subscriptions to them, and the largest. At scrape time, one pass over the rooms; a socket's
   * own room (its id) is not a channel.
   */
  roomOccupancy(): RoomOccupancy[] {
    const perKey = new Map<string, number>();
    for (const nsp of this.namespaces.values()) {
      for (const [room, sockets] of nsp.adapter.rooms) if (!nsp.sockets.has(room)) perKey.set(room, sockets.size);
    }
    for (const [key, count] of this.members.counts()) perKey.set(key, (perKey.get(key) ?? 0) + count);
    const result = new Map<string, { namespace: string; channels: number; subscriptions: number; largest: number }>();
    for (const [key, count] of perKey) {
      const ref = refFromKey(key);
      if (!ref) continue;
      const namespace = `/${ref.namespace}`;
      let entry = result.get(namespace);
      if (!entry) result.set(namespace, (entry = { namespace, channels: 0, subscriptions: 0, largest: 0 }));
      entry.channels += 1;
      entry.subscriptions += count;
      entry.largest = Math.max(entry.largest, count);
    }
    return [...result.values()];
  }

  /** Distinct users (company/user) connected to a namespace on this node. */
  distinctUsers(name: string): number {
    const users = new Set<string>();
    for (const socket of this.namespaces.get(name)?.sockets.values() ?? []) {
      const principal = (socket.data as Partial<SocketData>).principal;
      if (principal) users.add(`${principal.companyId}/${principal.id}`);
    }
    return users.size;
  }

  /** Connected sockets per namespace path on this node. */
  connectionCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const [name, nsp] of this.namespaces) counts[`/${name}`] = nsp.sockets.size;
    return counts;
  }
}
