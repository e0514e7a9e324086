import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config';
import { ChannelResets } from '../realtime/channel-resets';
import { WebhookEmitter } from './webhook-emitter.service';

/**
 * Channel resets as webhooks. Every node that follows a channel sees its reset, so the event id
 * comes from the reset itself and the queue keeps one: a new epoch is one event for the whole
 * cluster; a node-local reset (history expired, or Redis unreachable, for this node's feed) is
 * one per position, however many nodes report it.
 */
@Injectable()
export class ResetWebhooks implements OnModuleInit, OnModuleDestroy {
  private stop: (() => void) | undefined;

  constructor(
    private readonly resets: ChannelResets,
    private readonly webhooks: WebhookEmitter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    if (!this.config.webhooks?.events.includes('channel:reset')) return;
    this.stop = this.resets.listen((ref, { epoch, seq, reason }) => {
      const occurrence = reason === 'EPOCH_CHANGED' ? `${ref.key}:${epoch}:${reason}` : `${ref.key}:${epoch}:${seq}:${reason}`;
      this.webhooks.notify(
        'channel:reset',
        ref.companyId,
        { namespace: ref.namespace, channel: ref.channel, epoch, seq, reason, node: this.config.nodeId },
        `reset:${occurrence}`,
      );
    });
  }

  onModuleDestroy(): void {
    this.stop?.();
  }
}
