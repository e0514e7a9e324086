import type { Principal } from '../common/principal';
import type { Envelope } from '../bus/envelope';
import type { ChannelRef } from '../channels/channel-ref';
import type { ChannelMember } from '../realtime/channel-members';
import type { NamespaceDefinition } from '../realtime/namespace.registry';
import {
  RealtimeEvent,
  type ChannelResetPayload,
  type EndReason,
  type ServerDrainingPayload,
  type SessionEndedPayload,
  type SubscribeAck,
} from '../realtime/realtime.events';
import type { AttachTarget } from '../realtime/subscription.service';

export type Transport = 'sse' | 'ws';

/** What a session needs from the registry that owns it. */
export interface StreamHost {
  /** Outbound bytes a session may have buffered before it is cut (SLOW_CONSUMER). */
  readonly maxBufferedBytes: number;
  join(ref: ChannelRef, member: ChannelMember): void;
  leave(ref: ChannelRef, member: ChannelMember): void;
  /** The session ended (any reason): uncount it. */
  ended(session: StreamSession, reason: string): void;
}

/**
 * One connection on a plain transport (SSE or WebSocket) to one namespace: the counterpart of a
 * Socket.IO socket. It follows channels as a member of their delivery (DeliveryService), and a
 * transport subclass turns the shared payloads (envelopes, `channel:reset`, `session:ended`)
 * into its own frames.
 */
export abstract class StreamSession implements ChannelMember {
  readonly subscriptions = new Set<string>();
  /** When it was opened: a kick ends only sessions open at that moment. */
  readonly openedAt = Date.now();
  /** Channels it is a member of (joined after replay), by client-facing name. */
  private readonly joined = new Map<string, ChannelRef>();
  private over = false;
  /** Why the server ended it, if it did (`end`). */
  endedBy: EndReason | undefined;

  protected constructor(
    readonly transport: Transport,
    readonly id: string,
    public principal: Principal,
    readonly namespace: NamespaceDefinition,
    /** The client's address as the connection limits count it. */
    readonly ip: string,
    private readonly host: StreamHost,
  ) {}

  get closed(): boolean {
    return this.over;
  }

  /** How this session is attached by SubscriptionService: replay first, then membership. */
  target(): AttachTarget {
    return {
      principal: this.principal,
      subscriptions: this.subscriptions,
      wants: (channel) => !this.over && this.subscriptions.has(channel),
      replay: (channel, events) => {
        if (events.length > 0) this.sendEvents(channel, events);
      },
      join: (ref) => {
        this.joined.set(ref.channel, ref);
        this.host.join(ref, this);
      },
    };
  }

  /** Stops following a channel (a client's unsubscribe, or a refresh that narrowed its rights). */
  leave(channel: string): void {
    this.subscriptions.delete(channel);
    const ref = this.joined.get(channel);
    if (!ref) return;
    this.joined.delete(channel);
    this.host.leave(ref, this);
  }

  deliver(ref: ChannelRef, _epoch: string, events: readonly Envelope[]): void {
    if (!this.over) this.sendEvents(ref.channel, events);
  }

  reset(_ref: ChannelRef, payload: ChannelResetPayload): void {
    if (!this.over) this.sendReset(payload);
  }

  /** Tells the client why (`session:ended`), then closes. */
  end(reason: EndReason, message: string): void {
    if (this.over) return;
    this.endedBy = reason;
    const payload: SessionEndedPayload = { reason, message };
    // A slow reader's buffer is already full: the goodbye would only wait behind it.
    if (reason !== 'SLOW_CONSUMER') this.send(RealtimeEvent.SESSION_ENDED, payload);
    this.close(reason, reason === 'SLOW_CONSUMER');
  }

  /** The server is shutting down: `server:draining` with when to come back, then close. */
  drain(reconnectAfterMs: number): void {
    const payload: ServerDrainingPayload = { reconnectAfterMs };
    this.send(RealtimeEvent.SERVER_DRAINING, payload);
    this.close('draining');
  }

  /** Ends the session: leaves every channel, closes the transport (at once when `abort`). */
  close(reason: string, abort = false): void {
    if (this.over) return;
    this.over = true;
    for (const ref of this.joined.values()) this.host.leave(ref, this);
    this.joined.clear();
    this.subscriptions.clear();
    this.closeTransport(abort, reason);
    this.host.ended(this, reason);
  }

  /** After every write: a reader that does not keep up is cut, so its buffer cannot grow without bound. */
  protected checkBuffer(): void {
    if (this.buffered > this.host.maxBufferedBytes) {
      this.end('SLOW_CONSUMER', `more than ${this.host.maxBufferedBytes} bytes waiting for this reader`);
    }
  }

  /** The client or the network closed the connection. */
  transportClosed(): void {
    this.close('client');
  }

  /** Every STREAM_HEARTBEAT_SECONDS: keeps the connection through proxies, and finds dead readers. */
  abstract heartbeat(now: number): void;

  /** A subscribe answered (the SSE stream records its position; the WebSocket sends the ack). */
  abstract subscribed(ack: SubscribeAck): void;

  /** A shared event (`session`, `auth:expiring`, `server:draining`, …) with its payload. */
  abstract send(event: string, payload: unknown): void;

  /** Channel events in seq order: a replay, or live delivery. */
  protected abstract sendEvents(channel: string, events: readonly Envelope[]): void;

  protected abstract sendReset(payload: ChannelResetPayload): void;

  /** `reason`: 'client', 'draining', an end reason (AUTH_EXPIRED, …), or 'subscribe_failed'. */
  protected abstract closeTransport(abort: boolean, reason: string): void;

  /** Bytes written but not yet taken by the network (the slow-consumer check reads it). */
  abstract get buffered(): number;
}
