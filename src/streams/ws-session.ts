import type { WebSocket } from 'ws';
import type { Principal } from '../common/principal';
import type { Envelope } from '../bus/envelope';
import type { ErrorBody } from '../common/app.errors';
import type { NamespaceDefinition } from '../realtime/namespace.registry';
import { RealtimeEvent, type BatchPayload, type ChannelResetPayload, type SubscribeAck } from '../realtime/realtime.events';
import { StreamSession, type StreamHost } from './stream-session';

/** Replayed events per frame, as on Socket.IO (subscription.service.ts). */
const REPLAY_FRAME_EVENTS = 100;

/** Close codes (RFC 6455 §7.4): the reason is also sent as a frame just before. */
export const WsClose = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  POLICY: 1008,
  SERVICE_RESTART: 1012,
  TRY_AGAIN_LATER: 1013,
} as const;

function closeCodeOf(reason: string): number {
  if (reason === 'draining') return WsClose.SERVICE_RESTART;
  if (reason === 'subscribe_failed') return WsClose.TRY_AGAIN_LATER;
  if (reason === 'client') return WsClose.NORMAL;
  // The session:ended reasons: the frame before the close names it.
  return WsClose.POLICY;
}

/** A server frame: an event with its payload, or the answer to a client frame that asked for one. */
export type ServerFrame = { readonly event: string; readonly data: unknown } | { readonly ack: number; readonly data: unknown };

/**
 * One plain WebSocket (docs/protocol.md, "Plain WebSocket"): the Socket.IO protocol's events,
 * payloads, acks and error codes as JSON text frames, `{"event": …, "data": …}`, without
 * Socket.IO's framing. Live events of one publish go as one `batch`, as on Socket.IO.
 */
export class WsSession extends StreamSession {
  /** Last inbound traffic (a frame or a pong), for IDLE_TIMEOUT. */
  lastSeen = Date.now();

  constructor(
    id: string,
    principal: Principal,
    namespace: NamespaceDefinition,
    ip: string,
    host: StreamHost,
    private readonly socket: WebSocket,
    private readonly idleTimeoutMs: number,
  ) {
    super('ws', id, principal, namespace, ip, host);
  }

  /** The ack is the answer itself: nothing else to record. */
  subscribed(_ack: SubscribeAck): void {}

  send(event: string, payload: unknown): void {
    this.write(JSON.stringify({ event, data: payload }));
  }

  answer(ack: number, body: unknown): void {
    this.write(JSON.stringify({ ack, data: body }));
  }

  fail(ack: number | undefined, error: ErrorBody): void {
    const body = { ok: false, error };
    if (ack === undefined) this.send(RealtimeEvent.EXCEPTION, body);
    else this.answer(ack, body);
  }

  heartbeat(now: number): void {
    if (now - this.lastSeen > this.idleTimeoutMs) {
      this.end('IDLE_TIMEOUT', `nothing received for ${Math.round(this.idleTimeoutMs / 1000)} s`);
      return;
    }
    // The client's pong counts as traffic: a live client never reaches the idle timeout.
    if (this.socket.readyState === this.socket.OPEN) this.socket.ping();
  }

  protected sendEvents(channel: string, events: readonly Envelope[]): void {
    for (let start = 0; start < events.length; start += REPLAY_FRAME_EVENTS) {
      const part = start === 0 && events.length <= REPLAY_FRAME_EVENTS ? events : events.slice(start, start + REPLAY_FRAME_EVENTS);
      if (part.length === 1) this.send(part[0].event, part[0]);
      else this.send(RealtimeEvent.BATCH, { channel, epoch: part[0].epoch, events: part } satisfies BatchPayload);
    }
  }

  protected sendReset(payload: ChannelResetPayload): void {
    this.send(RealtimeEvent.CHANNEL_RESET, payload);
  }

  protected closeTransport(abort: boolean, reason: string): void {
    if (abort) this.socket.terminate();
    else if (this.socket.readyState === this.socket.OPEN) this.socket.close(closeCodeOf(reason), reason);
  }

  get buffered(): number {
    return this.socket.bufferedAmount;
  }

  private write(text: string): void {
    if (this.closed || this.socket.readyState !== this.socket.OPEN) return;
    this.socket.send(text);
    this.checkBuffer();
  }
}
