import { Injectable, Logger } from '@nestjs/common';
import type { ChannelRef } from '../channels/channel-ref';
import type { ChannelResetPayload } from './realtime.events';

export type ChannelResetListener = (ref: ChannelRef, payload: ChannelResetPayload) => void;

/**
 * Tells whoever cares, beyond the channel's own subscribers, that a channel was reset on this
 * node (the webhooks, today). A listener here keeps delivery free of what the listener needs:
 * a listener that throws is logged and the reset still reaches every subscriber.
 */
@Injectable()
export class ChannelResets {
  private readonly logger = new Logger('ChannelResets');
  private readonly listeners = new Set<ChannelResetListener>();

  listen(listener: ChannelResetListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  announce(ref: ChannelRef, payload: ChannelResetPayload): void {
    for (const listener of this.listeners) {
      try {
        listener(ref, payload);
      } catch (error) {
        this.logger.error(`reset listener failed on ${ref.key}: ${(error as Error).message}`);
      }
    }
  }
}
