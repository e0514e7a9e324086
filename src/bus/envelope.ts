/** What every delivered event looks like on the wire (the single argument of the Socket.IO event). */
export interface Envelope<T = unknown> {
  /** Unique per event. */
  readonly id: string;
  /** The client-facing channel name, e.g. `branch:b1`. */
  readonly channel: string;
  /** Increases by exactly 1 per channel within an epoch. */
  readonly seq: number;
  /** Changes when the channel's history is lost; a position from another epoch cannot be replayed. */
  readonly epoch: string;
  /** The domain event name, e.g. `order:updated`. */
  readonly event: string;
  readonly data: T;
  /** Publish time, epoch milliseconds. */
  readonly ts: number;
  readonly correlationId?: string;
}

/** A client's place in a channel. */
export interface Position {
  readonly epoch: string;
  readonly seq: number;
}

/** Why a position could not be replayed (ack `reason`, and `channel:reset` reason). */
export type NotRecoveredReason = 'EPOCH_CHANGED' | 'HISTORY_EXPIRED';

/** Why a live stream had to be reset: the above, or history that could not be read in time. */
export type ResetReason = NotRecoveredReason | 'UNAVAILABLE';
