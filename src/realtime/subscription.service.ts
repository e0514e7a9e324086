import { Inject, Injectable } from '@nestjs/common';
import type { DefaultEventsMap, Socket } from 'socket.io';
import { parseChannel } from '../channels/channel-name';
import { canSubscribe } from '../channels/channel-policy';
import { channelRef, type ChannelRef } from '../channels/channel-ref';
import type { Principal } from '../common/principal';
import { AppError, ErrorCode } from '../common/app.errors';
import { APP_CONFIG, type AppConfig } from '../config';
import { MetricsService, type SubscribeOutcome } from '../metrics/metrics.service';
import { EventBus } from '../bus/event-bus.service';
import type { SubscribeDto } from './dto/subscribe.dto';
import type { UnsubscribeDto } from './dto/unsubscribe.dto';
import type { Envelope } from '../bus/envelope';
import { DeliveryService } from './delivery.service';
import { SocketDirectory } from './socket-directory';
import type { NamespaceDefinition } from './namespace.registry';
import {
  RealtimeEvent,
  type BaseServerToClientEvents,
  type OkAck,
  type SocketData,
  type SubscribeAck,
  type SubscribeRequest,
} from './realtime.events';

/**
 * A socket as the server writes to it: what it may emit is typed by the namespace's
 * server-to-client map (`*.events.ts`, the same maps the SDK is typed from), so a misspelt event
 * or a wrong payload fails tsc. Shared plumbing sees the base map every namespace has. Incoming
 * messages go through Nest's handlers and DTOs, so the listening side stays open.
 */
export type AppSocket<ServerToClient extends BaseServerToClientEvents = BaseServerToClientEvents> = Socket<
  DefaultEventsMap,
  ServerToClient,
  DefaultEventsMap,
  SocketData
>;

/**
 * Domain events are named by publishers at run time (checked against the namespace's catalog when
 * published), so no map can type them: they are written through here, the one untyped emit.
 */
export function emitDomainEvent(socket: AppSocket, event: string, payload: unknown): void {
  (socket as unknown as Socket).emit(event, payload);
}

/** A subscriber being attached to a channel, whatever its transport. */
export interface AttachTarget {
  readonly principal: Principal;
  /** Client-facing channel names it follows in this namespace (the limit counts them). */
  readonly subscriptions: Set<string>;
  /** Still connected and still wanting the channel, once its history has been read. */
  wants(channel: string): boolean;
  /** Sends the missed events, in seq order, before any live one. */
  replay(channel: string, events: readonly Envelope[]): void;
  /** Starts live delivery (a socket joins the room; a stream becomes a channel member). */
  join(ref: ChannelRef): void;
}

/** Subscribe and unsubscribe, identical in every namespace: parse, authorize, limit, attach. */
@Injectable()
export class SubscriptionService {
  /**
   * Connections (by their subscription set, one per socket or stream) that resumed a channel: a
   * client that gives a position is coming back after a disconnect. Counted once per connection.
   */
  private readonly resumed = new WeakSet<object>();

  constructor(
    private readonly bus: EventBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: MetricsService,
    private readonly delivery: DeliveryService,
    directory: SocketDirectory,
  ) {
    // A channel that lost its last local subscriber (a room deleted, a stream gone) may let its
    // feed go: the bus lingers first, in case a subscriber comes straight back (EventBus.release).
    directory.onChannelEmptied((ref) => this.bus.release(ref));
  }

  async subscribe(socket: AppSocket, namespace: NamespaceDefinition, request: SubscribeDto): Promise<SubscribeAck> {
    const { principal, subscriptions } = socket.data;
    return this.subscribeTarget(
      {
        principal,
        subscriptions,
        wants: (channel) => !socket.disconnected && subscriptions.has(channel),
        replay: (channel, events) => emitReplay(socket, channel, events),
        join: (ref) => void socket.join(ref.key),
      },
      namespace,
      request,
    );
  }

  /**
   * Subscribes any kind of subscriber (a socket, an SSE stream, a plain WebSocket): the one place
   * for the channel policy, the per-connection limit, and the replay-then-join order.
   */
  async subscribeTarget(target: AttachTarget, namespace: NamespaceDefinition, request: SubscribeRequest): Promise<SubscribeAck> {
    if (request.since !== undefined && !this.resumed.has(target.subscriptions)) {
      this.resumed.add(target.subscriptions);
      this.metrics.reconnections.inc({ namespace: `/${namespace.name}` });
    }
    try {
      const ack = await this.attach(target, namespace, request);
      this.metrics.subscribes.inc({ namespace: `/${namespace.name}`, outcome: subscribeOutcome(ack) });
      return ack;
    } catch (error) {
      this.metrics.subscribes.inc({ namespace: `/${namespace.name}`, outcome: 'refused' });
      throw error;
    }
  }

  private async attach(target: AttachTarget, namespace: NamespaceDefinition, request: SubscribeRequest): Promise<SubscribeAck> {
    const { principal, subscriptions } = target;
    const channel = parseChannel(request.channel);
    if (!canSubscribe(principal, channel)) {
      throw new AppError(ErrorCode.FORBIDDEN, `not allowed to subscribe to ${channel.name}`);
    }
    const isNew = !subscriptions.has(channel.name);
    if (isNew && subscriptions.size >= this.config.limits.maxSubscriptionsPerSocket) {
      throw new AppError(ErrorCode.LIMIT_EXCEEDED, `a socket may follow at most ${this.config.limits.maxSubscriptionsPerSocket} channels`, {
        limit: this.config.limits.maxSubscriptionsPerSocket,
      });
    }
    // Reserve the slot before awaiting, so concurrent subscribes cannot overshoot the limit.
    subscriptions.add(channel.name);
    const ref = channelRef(principal.companyId, namespace.name, channel);
    try {
      const join = (replay: readonly Envelope[]) => {
        // The subscriber may have left or unsubscribed while history was being read.
        if (!target.wants(channel.name)) return;
        target.replay(channel.name, replay);
        // Held live events are covered by the replay: send them to the room before this subscriber is in it.
        this.delivery.flush(ref);
        target.join(ref);
      };
      const result = await this.bus.attach(ref, request.since, join, { snapshot: namespace.snapshot !== undefined });
      return { ok: true, channel: channel.name, ...result };
    } catch (error) {
      if (isNew) subscriptions.delete(channel.name);
      throw error;
    }
  }

  unsubscribe(socket: AppSocket, namespace: NamespaceDefinition, request: UnsubscribeDto): OkAck {
    const channel = parseChannel(request.channel);
    const { principal, subscriptions } = socket.data;
    if (subscriptions.delete(channel.name)) {
      void socket.leave(channelRef(principal.companyId, namespace.name, channel).key);
    }
    return { ok: true };
  }
}

function subscribeOutcome(ack: SubscribeAck): SubscribeOutcome {
  if (!('recovered' in ack)) return 'live';
  if (ack.recovered) return 'recovered';
  return ack.reason === 'EPOCH_CHANGED' ? 'epoch_changed' : 'history_expired';
}

/** Replayed events per frame: one frame per event cost ~30 µs of CPU each, which made replaying 100 events to 5,000 clients take over 20 s. */
const REPLAY_FRAME_EVENTS = 100;

/** Sends a replay in seq order, as `batch` frames of up to REPLAY_FRAME_EVENTS (a lone event goes as itself). */
function emitReplay(socket: AppSocket, channel: string, replay: readonly Envelope[]): void {
  for (let start = 0; start < replay.length; start += REPLAY_FRAME_EVENTS) {
    const events = replay.slice(start, start + REPLAY_FRAME_EVENTS);
    if (events.length === 1) emitDomainEvent(socket, events[0].event, events[0]);
    else socket.emit(RealtimeEvent.BATCH, { channel, epoch: events[0].epoch, events });
  }
}
