import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, keepsDebugLines, type AppConfig } from '../config';
import type { ChannelRef } from '../channels/channel-ref';
import type { DeliverySink } from '../bus/channel-stream';
import type { Envelope, Position, ResetReason } from '../bus/envelope';
import { MetricsService } from '../metrics/metrics.service';
import { ChannelResets } from './channel-resets';
import { DeliveryCoalescer } from './delivery-coalescer';
import { writeToRoom } from './room-writer';
import { RealtimeEvent, type BatchPayload, type ChannelResetPayload } from './realtime.events';
import { SocketDirectory } from './socket-directory';

/**
 * The bus's delivery sink (DELIVERY_SINK): turns a channel's events into Socket.IO emits to the
 * room named by the channel key, and hands them to the channel's plain-transport members, on
 * this node only (`local`), because every node delivers from the bus itself; broadcasting
 * through the Socket.IO adapter as well would deliver twice.
 */
@Injectable()
export class DeliveryService implements DeliverySink, OnModuleDestroy {
  private readonly coalescer: DeliveryCoalescer;
  private readonly logger = new Logger('Delivery');
  private readonly debugLogs: boolean;

  constructor(
    private readonly directory: SocketDirectory,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly resets: ChannelResets,
  ) {
    this.debugLogs = keepsDebugLines(config.log);
    this.coalescer = new DeliveryCoalescer(config.delivery.coalesceMs, config.delivery.coalesceLoad, (ref, epoch, events) =>
      this.emit(ref, epoch, events),
    );
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
    const nsp = this.directory.namespace(ref.namespace);
    if (!nsp) return;
    // The namespace is in hand: its room's size without a second lookup (once per delivered batch).
    const sockets = nsp.adapter.rooms.get(ref.key)?.size ?? 0;
    const members = this.directory.membersOf(ref);
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
    this.directory.namespace(ref.namespace)?.local.to(ref.key).emit(RealtimeEvent.CHANNEL_RESET, payload);
    const members = this.directory.membersOf(ref);
    if (members) for (const member of members) member.reset(ref, payload);
    this.resets.announce(ref, payload);
  }

  gapRefilled(): void {
    this.metrics.gapRefills.inc();
  }

  hasLocalSubscribers(ref: ChannelRef): boolean {
    return this.directory.hasLocalSubscribers(ref);
  }
}
