import type { ServerResponse } from 'node:http';
import type { Principal } from '../common/principal';
import type { Envelope, Position } from '../bus/envelope';
import type { ErrorBody } from '../common/app.errors';
import type { NamespaceDefinition } from '../realtime/namespace.registry';
import { RealtimeEvent, type ChannelResetPayload, type SubscribeAck } from '../realtime/realtime.events';
import { formatEventId } from './sse-event-id';
import { StreamSession, type StreamHost } from './stream-session';

/** SSE-only events (the Socket.IO protocol answers these in acks). */
export const SseEvent = {
  /** A channel of the URL is followed: the subscribe ack, snapshot included. */
  SUBSCRIBED: 'subscribed',
  /** A channel could not be followed now (storage unavailable): the stream closes, and the browser retries. */
  SUBSCRIBE_ERROR: 'subscribe:error',
} as const;

export interface SubscribeErrorPayload {
  readonly channel: string;
  readonly error: ErrorBody;
}

/**
 * An envelope's JSON, once per event however many SSE readers it goes to: the same envelope
 * object is handed to every member of a channel.
 */
const envelopeJson = new WeakMap<Envelope, string>();

function jsonOf(envelope: Envelope): string {
  let json = envelopeJson.get(envelope);
  if (json === undefined) {
    json = JSON.stringify(envelope);
    envelopeJson.set(envelope, json);
  }
  return json;
}

/**
 * One `text/event-stream` response (docs/protocol.md, "Server-Sent Events"). Every event carries
 * an `id` with the resume key and every channel's position, so the browser's own reconnect
 * (`Last-Event-ID`) resumes exactly where the stream stopped. Domain events go one SSE event per
 * envelope (an `EventSource` listens by event name); the payloads are those of the Socket.IO protocol.
 */
export class SseSession extends StreamSession {
  private readonly positions = new Map<string, Position>();

  constructor(
    id: string,
    principal: Principal,
    namespace: NamespaceDefinition,
    ip: string,
    host: StreamHost,
    private readonly response: ServerResponse,
    /** Where the client resumes from: a stream restarted with `Last-Event-ID`. */
    private readonly resumeKey: string,
  ) {
    super('sse', id, principal, namespace, ip, host);
  }

  /** Status, headers and the reconnect delay; nothing is sent before the request is admitted. */
  open(headers: Record<string, string>, retryMs: number): void {
    this.response.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      // no-transform: a compressing proxy would hold events back to fill its buffers.
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
    });
    this.response.flushHeaders();
    this.write(`retry: ${retryMs}\n\n`);
  }

  /** Before a subscribe is answered, where the client said it was (the id keeps it if the stream breaks first). */
  startAt(channel: string, since: Position | undefined): void {
    if (since) this.positions.set(channel, since);
  }

  subscribed(ack: SubscribeAck): void {
    const known = this.positions.get(ack.channel);
    // Replayed or live events may already have moved the position past the ack's (same epoch, later seq).
    if (!known || known.epoch !== ack.epoch || known.seq < ack.seq) this.positions.set(ack.channel, { epoch: ack.epoch, seq: ack.seq });
    this.send(SseEvent.SUBSCRIBED, ack);
  }

  subscribeFailed(channel: string, error: ErrorBody): void {
    const payload: SubscribeErrorPayload = { channel, error };
    this.send(SseEvent.SUBSCRIBE_ERROR, payload);
  }

  send(event: string, payload: unknown): void {
    this.write(this.frame(event, JSON.stringify(payload)));
  }

  /** A comment: keeps proxies from closing an idle stream, and finds dead readers. */
  heartbeat(): void {
    // An idle stream's comment; a busy one needs none, but one more line costs nothing.
    this.write(':\n\n');
  }

  /** The browser reconnects on its own after `retry` ms: set to the drain's spread before closing. */
  override drain(reconnectAfterMs: number): void {
    this.write(`retry: ${Math.max(1, reconnectAfterMs)}\n\n`);
    super.drain(reconnectAfterMs);
  }

  protected sendEvents(channel: string, events: readonly Envelope[]): void {
    let chunk = '';
    for (const envelope of events) {
      this.positions.set(channel, { epoch: envelope.epoch, seq: envelope.seq });
      chunk += this.frame(envelope.event, jsonOf(envelope));
    }
    this.write(chunk);
  }

  protected sendReset(payload: ChannelResetPayload): void {
    this.positions.set(payload.channel, { epoch: payload.epoch, seq: payload.seq });
    this.send(RealtimeEvent.CHANNEL_RESET, payload);
  }

  protected closeTransport(abort: boolean, _reason: string): void {
    if (abort) this.response.destroy();
    else this.response.end();
  }

  get buffered(): number {
    return this.response.writableLength;
  }

  private frame(event: string, data: string): string {
    return `id: ${formatEventId(this.resumeKey, this.positions)}\nevent: ${event}\ndata: ${data}\n\n`;
  }

  private write(text: string): void {
    if (this.closed || this.response.destroyed) return;
    this.response.write(text);
    this.checkBuffer();
  }
}
