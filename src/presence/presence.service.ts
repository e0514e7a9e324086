import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { EventBus } from '../bus/event-bus.service';
import { parseChannel } from '../channels/channel-name';
import { canSubscribe } from '../channels/channel-policy';
import { channelRef, refFromKey, type ChannelRef } from '../channels/channel-ref';
import { NodeRegistry } from '../cluster/node-registry.service';
import { AppError, ErrorCode } from '../common/app.errors';
import { APP_CONFIG, type AppConfig } from '../config';
import type { AppSocket } from '../realtime/subscription.service';
import { WebhookEmitter } from '../webhooks/webhook-emitter.service';
import type { PresenceUpdateDto } from './dto/presence-update.dto';
import { PRESENCE_NAMESPACE } from './presence.definition';
import { PresenceEvent, type PresenceLeftPayload } from './presence.events';
import { PRESENCE_STORE, type PresenceMember, type PresenceStore, type ProfilePatch } from './presence.store';

/** `profile`: this connection's latest status, view and meta, which follow it into every channel it enters. */
type PresenceSocket = AppSocket & { data: { presence?: Set<string>; profile?: ProfilePatch } };

/**
 * Who is online where. A connection makes its user present in `company:<id>`; subscribing to a
 * branch on /presence makes them present there too. Joins, updates and departures are published
 * through the bus to the channel, so every node's subscribers see them, in order.
 */
@Injectable()
export class PresenceService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Presence');
  private readonly graceMs: number;
  private readonly ttlMs: number;
  private readonly timers = new Set<NodeJS.Timeout>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    @Inject(PRESENCE_STORE) private readonly store: PresenceStore,
    private readonly bus: EventBus,
    private readonly nodes: NodeRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly webhooks: WebhookEmitter,
  ) {
    this.graceMs = config.presence.leaveGraceSeconds * 1000;
    this.ttlMs = config.presence.ttlSeconds * 1000;
  }

  onModuleInit(): void {
    // Backstop for what timers cannot cover: dead nodes, idle members, grace periods of a node that died.
    const nodeTtlMs = this.config.cluster.nodeTtlSeconds * 1000;
    const interval = Math.max(250, Math.min(5000, nodeTtlMs / 3, this.graceMs > 0 ? this.graceMs / 2 : 5000));
    this.sweeper = setInterval(() => void this.sweep(), interval);
    this.sweeper.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /** On connect: present in the company. Never throws (a lifecycle hook must not reject). */
  async connected(socket: PresenceSocket): Promise<void> {
    socket.data.presence = new Set();
    await this.quietly(() => this.enter(socket, `company:${socket.data.principal.companyId}`));
  }

  async subscribed(socket: PresenceSocket, channel: string): Promise<void> {
    if (channel.startsWith('branch:')) await this.enter(socket, channel);
  }

  async unsubscribed(socket: PresenceSocket, channel: string): Promise<void> {
    if (channel.startsWith('branch:')) await this.exit(socket, channel);
  }

  /** On disconnect: leave every channel; departures follow after the grace period. Never throws. */
  async disconnected(socket: PresenceSocket): Promise<void> {
    for (const channel of [...(socket.data.presence ?? [])]) await this.quietly(() => this.exit(socket, channel));
  }

  async update(socket: PresenceSocket, request: PresenceUpdateDto): Promise<void> {
    const now = Date.now();
    const patch: ProfilePatch = { status: request.status, view: request.view, meta: request.meta };
    const previous = socket.data.profile;
    socket.data.profile = {
      status: request.status,
      view: request.view !== undefined ? request.view : previous?.view,
      meta: request.meta !== undefined ? request.meta : previous?.meta,
    };
    for (const channel of socket.data.presence ?? []) {
      const ref = this.ref(socket, channel);
      let member = await this.guard(() => this.store.update(ref.key, socket.data.principal.id, patch, now));
      let event: string = PresenceEvent.UPDATED;
      if (!member) {
        // Removed meanwhile (idle past the TTL): activity brings the user back.
        await this.guard(() => this.store.join(ref.key, socket.data.principal.id, this.connectionId(socket), now));
        member = await this.guard(() => this.store.update(ref.key, socket.data.principal.id, patch, now));
        event = PresenceEvent.JOINED;
      }
      if (member) await this.announce(ref, event, member);
    }
  }

  async heartbeat(socket: PresenceSocket): Promise<void> {
    const now = Date.now();
    for (const channel of socket.data.presence ?? []) {
      const ref = this.ref(socket, channel);
      if (!(await this.guard(() => this.store.touch(ref.key, socket.data.principal.id, now)))) await this.enter(socket, channel);
    }
  }

  async list(socket: PresenceSocket, channelName: string): Promise<PresenceMember[]> {
    const channel = parseChannel(channelName);
    if (!canSubscribe(socket.data.principal, channel)) {
      throw new AppError(ErrorCode.FORBIDDEN, `not allowed to see presence in ${channel.name}`);
    }
    return this.guard(() => this.store.list(this.ref(socket, channel.name).key));
  }

  /**
   * Joins a channel. A connection that already set its profile brings it along: a user who set
   * "busy, on orders/42" and then opens a branch is busy on orders/42 there too, not a blank
   * "online" until the next update.
   */
  private async enter(socket: PresenceSocket, channel: string): Promise<void> {
    socket.data.presence?.add(channel);
    const ref = this.ref(socket, channel);
    const userId = socket.data.principal.id;
    const now = Date.now();
    const joined = await this.guard(() => this.store.join(ref.key, userId, this.connectionId(socket), now));
    const profile = socket.data.profile;
    const member = profile ? ((await this.guard(() => this.store.update(ref.key, userId, profile, now))) ?? joined.member) : joined.member;
    if (joined.first) await this.announce(ref, PresenceEvent.JOINED, member);
    else if (profile) await this.announce(ref, PresenceEvent.UPDATED, member);
  }

  private async exit(socket: PresenceSocket, channel: string): Promise<void> {
    socket.data.presence?.delete(channel);
    const ref = this.ref(socket, channel);
    const userId = socket.data.principal.id;
    const { last } = await this.guard(() => this.store.leave(ref.key, userId, this.connectionId(socket), Date.now()));
    if (!last) return;
    // The leave waits out the grace period: a reload reconnects within it and nobody sees a flap.
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.quietly(async () => {
        const leftAt = Date.now();
        if (await this.store.removeIfGone(ref.key, userId, leftAt, this.graceMs)) await this.announceLeft(ref, userId, leftAt);
      });
    }, this.graceMs + 10);
    timer.unref();
    this.timers.add(timer);
  }

  private async sweep(): Promise<void> {
    await this.quietly(async () => {
      const now = Date.now();
      const alive = await this.nodes.aliveInstances(now);
      const departures = await this.store.sweep({ now, alive, graceMs: this.graceMs, ttlMs: this.ttlMs });
      for (const { key, userId } of departures) {
        const ref = refFromKey(key);
        if (ref) await this.announceLeft(ref, userId, now);
      }
    });
  }

  private announceLeft(ref: ChannelRef, userId: string, leftAt: number): Promise<void> {
    const payload: PresenceLeftPayload = { userId, leftAt };
    return this.announce(ref, PresenceEvent.LEFT, payload);
  }

  private async announce(ref: ChannelRef, event: string, data: unknown): Promise<void> {
    try {
      const [published] = await this.bus.publish([{ ref, event, data }]);
      // Joins and departures are decided once (atomically in the store), on this node: raised once, under the event's id.
      if (event === PresenceEvent.JOINED || event === PresenceEvent.LEFT) {
        this.webhooks.notify(event, ref.companyId, { channel: ref.channel, ...(data as object) }, `presence:${published.id}`);
      }
    } catch (error) {
      // Presence is advisory: a lost announcement is corrected by presence:list, never worth failing a client call.
      this.logger.warn(`could not announce ${event} on ${ref.key}: ${(error as Error).message}`);
    }
  }

  private ref(socket: PresenceSocket, channel: string): ChannelRef {
    return channelRef(socket.data.principal.companyId, PRESENCE_NAMESPACE.name, channel);
  }

  private connectionId(socket: PresenceSocket): string {
    return `${this.nodes.instanceId}|${socket.id}`;
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError(ErrorCode.UNAVAILABLE, 'presence storage is unreachable; retry shortly', undefined, 1);
    }
  }

  private async quietly(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (error) {
      this.logger.warn(`presence: ${(error as Error).message}`);
    }
  }
}
