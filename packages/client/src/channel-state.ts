import type { AnySubscribeAck, ChannelResetPayload, Envelope, Position, ResyncReason } from './types.js';

/** What a channel needs from its namespace connection. */
export interface ChannelHooks {
  /** Runs the application's handlers for one event; resolves when they have. */
  dispatch(envelope: Envelope): Promise<void>;
  /** Tells the application to reload this channel's state; events after `position` follow. */
  resync(reason: ResyncReason, position: Position): Promise<void>;
  /** Hands the /sync snapshot of a subscribe ack to the application. */
  snapshot(snapshot: unknown): Promise<void>;
  /** Stores the position the application has applied (for a restart). */
  persist(position: Position): Promise<void>;
  /** Subscribes again from `position` (a gap or an unexpected epoch was seen). */
  resubscribe(): void;
  /** A handler or the storage failed; the stream goes on. */
  report(error: unknown): void;
}

type Item = { readonly kind: 'event'; readonly envelope: Envelope } | { readonly kind: 'reset'; readonly payload: ChannelResetPayload };

const seqOf = (item: Item): number => (item.kind === 'event' ? item.envelope.seq : item.payload.seq);

export type ChannelPhase = 'idle' | 'subscribing' | 'live' | 'failed';

export interface ChannelStats {
  /** Events handed to the handlers. */
  delivered: number;
  /** Events dropped because their seq was at or below the last one applied (redelivered after a replay). */
  duplicatesDropped: number;
  /** Times a gap or an unannounced epoch was seen and healed by subscribing again from the last position. */
  gapsHealed: number;
  /** Times the application was asked to reload (recovered: false, or channel:reset). */
  resyncs: number;
}

/**
 * One channel's stream, as the protocol's client algorithm (docs/protocol.md §4): drop any event
 * at or below the last applied seq of the same epoch, apply the rest in order, and never apply
 * across a hole. While a subscribe is in flight everything is held back, so replayed events, the
 * ack and live events are applied in that order whatever order the frames arrived in.
 *
 * Handlers run one at a time per channel, in seq order, even when they are async; the stored
 * position moves only after an event's handlers settled, so a restart resumes after the last
 * event the application actually applied.
 */
export class ChannelState {
  phase: ChannelPhase = 'idle';
  /** The newest event accepted: the dedupe mark and the `since` of the next subscribe. */
  position: Position | undefined;
  readonly stats: ChannelStats = { delivered: 0, duplicatesDropped: 0, gapsHealed: 0, resyncs: 0 };
  private buffer: Item[] = [];
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly channel: string,
    private readonly hooks: ChannelHooks,
    stored?: Position,
  ) {
    this.position = stored;
  }

  /** A subscribe request is about to be sent: hold everything until its ack. Returns its `since`. */
  beginSubscribe(): Position | undefined {
    this.phase = 'subscribing';
    this.buffer = [];
    return this.position;
  }

  /** The subscribe ack arrived: settle the position, then apply what was held back. */
  completeSubscribe(ack: AnySubscribeAck, since: Position | undefined): void {
    const held = this.buffer;
    this.buffer = [];
    this.phase = 'live';
    const fromAck: Position = { epoch: ack.epoch, seq: ack.seq };
    const notRecovered = 'recovered' in ack && ack.recovered === false;
    if (notRecovered) {
      this.position = fromAck;
      this.stats.resyncs += 1;
      this.enqueue(() => this.hooks.resync(ack.reason, fromAck));
      this.enqueue(() => this.hooks.persist(fromAck));
    } else if (since === undefined) {
      this.position = fromAck;
      this.enqueue(() => this.hooks.persist(fromAck));
    }
    if (ack.snapshot !== undefined && (since === undefined || notRecovered)) this.adoptSnapshot(ack.snapshot);
    // Live frames may have overtaken the replay (a resubscribe on a channel the socket already
    // follows): apply held events in seq order. A held reset keeps arrival order, as it must.
    // Events of another epoch than the ack's are older than it: the ack's position covers them.
    const current = held.filter((item) => item.kind === 'reset' || item.envelope.epoch === ack.epoch);
    const ordered = current.some((item) => item.kind === 'reset') ? current : [...current].sort((a, b) => seqOf(a) - seqOf(b));
    // receive(), not accept(): an item may start a new subscribe (a gap), and the rest must wait for it.
    for (const item of ordered) this.receive(item);
  }

  /** The subscribe failed or the connection dropped before its ack: nothing held is applied (it will be replayed). */
  abort(failed = false): void {
    this.phase = failed ? 'failed' : 'idle';
    this.buffer = [];
  }

  receiveEvent(envelope: Envelope): void {
    this.receive({ kind: 'event', envelope });
  }

  receiveReset(payload: ChannelResetPayload): void {
    this.receive({ kind: 'reset', payload });
  }

  /** Resolves once every handler call queued so far has settled. */
  settled(): Promise<void> {
    return this.chain;
  }

  private receive(item: Item): void {
    if (this.phase === 'subscribing') this.buffer.push(item);
    else if (this.phase === 'live') this.accept(item);
    // idle or failed: not following this channel (a frame still in flight after unsubscribe).
  }

  private accept(item: Item): void {
    if (item.kind === 'reset') {
      const position: Position = { epoch: item.payload.epoch, seq: item.payload.seq };
      this.position = position;
      this.stats.resyncs += 1;
      this.enqueue(() => this.hooks.resync(item.payload.reason, position));
      this.enqueue(() => this.hooks.persist(position));
      return;
    }
    const { envelope } = item;
    const last = this.position;
    if (last && envelope.epoch === last.epoch && envelope.seq <= last.seq) {
      this.stats.duplicatesDropped += 1;
      return;
    }
    if (last && (envelope.epoch !== last.epoch || envelope.seq !== last.seq + 1)) {
      // A hole, or a new epoch nobody announced: never apply across it. Subscribing again from
      // the last position replays what is missing, or answers "not recovered".
      this.stats.gapsHealed += 1;
      this.hooks.resubscribe();
      return;
    }
    const position: Position = { epoch: envelope.epoch, seq: envelope.seq };
    this.position = position;
    this.stats.delivered += 1;
    this.enqueue(async () => {
      await this.hooks.dispatch(envelope);
      await this.hooks.persist(position);
    });
  }

  private adoptSnapshot(snapshot: unknown): void {
    this.enqueue(() => this.hooks.snapshot(snapshot));
    const at = snapshot as Partial<Position>;
    const current = this.position;
    if (current && at.epoch === current.epoch && typeof at.seq === 'number' && at.seq > current.seq) {
      // Events up to the snapshot's seq are in it already; they are dropped when they arrive.
      const position: Position = { epoch: at.epoch, seq: at.seq };
      this.position = position;
      this.enqueue(() => this.hooks.persist(position));
    }
  }

  private enqueue(step: () => Promise<void>): void {
    this.chain = this.chain.then(step).catch((error: unknown) => this.hooks.report(error));
  }
}
