import { Logger } from '@nestjs/common';
import { ReplyError } from 'ioredis';
import { FailoverHold, type FailoverSignals } from '../redis/failover-hold';
import type { RedisClient } from '../redis/redis-client';
import type { HistoryConfig } from '../config';
import {
  EngineRefusedError,
  EngineUnavailableError,
  type StorageRefusal,
  type BusEngine,
  type ChannelDrafts,
  type EngineListener,
  type EventDraft,
  type PublishOutcome,
  type ReadResult,
  type Retention,
  SNAPSHOT_LIMIT,
} from './bus-engine';
import type { Envelope } from './envelope';
import { envelopeHead } from './envelope-json';
import { newEpoch, newEpochs } from './epoch';
import { AUDIT_CONFIRM_MS, SUBSCRIPTION_AUDIT_MS, SubscriptionAudit } from './subscription-audit';
import {
  idempotencyKey,
  keyOfLiveChannel,
  liveChannel,
  logKey,
  metaKey,
  PUBLISH_SCRIPT,
  READ_SCRIPT,
  RESET_EPOCH_SCRIPT,
  snapshotOrderKey,
  snapshotValuesKey,
} from './redis-scripts';

export interface RedisEngineOptions {
  readonly command: RedisClient;
  readonly subscriber: RedisClient;
  readonly history: HistoryConfig;
  readonly idempotencyTtlSeconds: number;
  /** How long watch() waits for the subscription to become live. */
  readonly watchTimeoutMs?: number;
  /** Sentinel mode: failovers as the sentinels announce them (see SentinelWatch). */
  readonly failovers?: FailoverSignals;
}

/** After a Cluster re-subscribed its shards: when to catch up a second time. */
const CLUSTER_RESUME_AGAIN_MS = 1000;

type ScriptClient = RedisClient & {
  sbPublish(...args: (string | number)[]): Promise<(string | number)[]>;
  sbRead(...args: (string | number)[]): Promise<(string | number)[]>;
  sbResetEpoch(...args: (string | number)[]): Promise<string>;
};

/**
 * The Redis engine: seq via the channel's meta hash, history in one stream per channel,
 * fan-out through pub/sub (sharded on Redis 7+), all in one Lua step per publish.
 * Every node subscribes only to the channels its own sockets follow.
 */
export class RedisEngine implements BusEngine {
  readonly kind = 'redis' as const;
  private readonly logger = new Logger('RedisEngine');
  private readonly command: ScriptClient;
  private readonly subscriber: RedisClient;
  private listener: EngineListener | undefined;
  private readonly watched = new Set<string>();
  private readonly watching = new Map<string, Promise<void>>();
  private sharded: Promise<boolean> | undefined;
  private subscriberWasReady = false;
  private readonly clustered: boolean;
  /** Sentinel mode: publishes wait while a failover is under way (see FailoverHold). */
  private readonly failover: FailoverHold | undefined;
  /** Checks that Redis still holds this node's subscriptions (see SubscriptionAudit); off without a connection name. */
  private readonly audit: SubscriptionAudit | undefined;
  private readonly auditTimer: NodeJS.Timeout | undefined;
  private auditing = false;
  /** From a reconnect until its re-subscribes are answered: an audit now would count them missing. */
  private settling = false;
  /** The last count found fewer subscriptions than expected; the next one confirms or clears it. */
  private suspect = false;
  private closed = false;

  constructor(private readonly options: RedisEngineOptions) {
    this.command = options.command as ScriptClient;
    this.command.defineCommand('sbPublish', { lua: PUBLISH_SCRIPT });
    this.command.defineCommand('sbRead', { lua: READ_SCRIPT });
    this.command.defineCommand('sbResetEpoch', { lua: RESET_EPOCH_SCRIPT });
    this.subscriber = options.subscriber;
    const onMessage = (channel: string | Buffer, message: string | Buffer) => this.onMessage(String(channel), String(message));
    this.subscriber.on('message', onMessage);
    this.subscriber.on('smessage', onMessage);
    this.clustered = (options.command as { isCluster?: boolean }).isCluster === true;
    // On Cluster the sharded subscribers live one per master, and are re-created (and their
    // channels re-subscribed) after a failover or a slot move: `subscribersReady` says so.
    if (this.clustered) this.subscriber.on('subscribersReady', () => this.onSubscriberReady());
    else this.subscriber.on('ready', () => this.onSubscriberReady());
    let commandWasReady = this.command.status === 'ready';
    this.command.on('ready', () => {
      if (commandWasReady && !this.closed) this.listener?.writable();
      commandWasReady = true;
    });
    this.failover = options.failovers
      ? new FailoverHold(
          options.failovers,
          this.command,
          {
            held: () => this.listener?.holding?.(),
            released: () => this.listener?.released?.(),
          },
          'publishes',
        )
      : undefined;
    if (this.subscriber.status === 'ready' && !this.clustered) this.subscriberWasReady = true;
    const name = connectionNameOf(this.subscriber);
    if (name !== undefined) {
      this.audit = new SubscriptionAudit(this.command, name);
      this.auditTimer = setInterval(() => void this.auditSubscriptions(), SUBSCRIPTION_AUDIT_MS);
      this.auditTimer.unref();
    }
  }

  setListener(listener: EngineListener): void {
    this.listener = listener;
  }

  publish(key: string, drafts: readonly EventDraft[], retention?: Retention): Promise<PublishOutcome[]> {
    return this.publishGroups([{ key, drafts }], retention).then((outcomes) => outcomes[0]);
  }

  publishMany(groups: readonly ChannelDrafts[]): Promise<PublishOutcome[][]> {
    return this.publishGroups(groups);
  }

  /**
   * True on Redis Cluster: a script may touch one slot only, so the channels of one request are
   * published by one call each (in parallel), and are not atomic together.
   */
  get splitsChannels(): boolean {
    return this.clustered;
  }

  /** One script call for all groups: one round trip and one reply per publish request (per channel on Cluster). */
  private async publishGroups(groups: readonly ChannelDrafts[], retention?: Retention): Promise<PublishOutcome[][]> {
    if (this.clustered && groups.length > 1) {
      return (await Promise.all(groups.map((group) => this.publishGroups([group], retention)))).map(([outcomes]) => outcomes);
    }
    const sharded = await this.pubsubMode();
    const history = this.options.history;
    const channelKeys: string[] = [];
    const idemKeys: string[] = [];
    const args: string[] = [];
    const epochs = newEpochs(groups.length);
    // Idempotency keys follow the 4 keys of every channel, so their KEYS index is offset once all are counted.
    const offset = 4 * groups.length;
    let g = 0;
    for (const { key, drafts } of groups) {
      channelKeys.push(metaKey(key), logKey(key), snapshotOrderKey(key), snapshotValuesKey(key));
      args.push(epochs[g++], String(drafts.length));
      for (const draft of drafts) {
        let index = 0;
        if (draft.idempotencyKey !== undefined) index = offset + idemKeys.push(idempotencyKey(key, draft.idempotencyKey));
        const options = index > 0 || draft.snapshotKey !== undefined ? `${index}|${draft.id}|${draft.snapshotKey ?? ''}` : '';
        args.push(options, envelopeHead(draft));
      }
    }
    const raw = await this.call(() =>
      this.command.sbPublish(
        channelKeys.length + idemKeys.length,
        ...channelKeys,
        ...idemKeys,
        sharded ? '1' : '0',
        this.options.idempotencyTtlSeconds,
        SNAPSHOT_LIMIT,
        retention?.size ?? history.size,
        retention?.ttlSeconds ?? history.ttlSeconds,
        retention?.ttlSeconds ?? history.positionTtlSeconds,
        groups.length,
        ...args,
      ),
    );
    let next = 0;
    return groups.map(({ drafts }) => {
      const epoch = raw[next++] as string;
      return drafts.map((draft) => {
        const answer = raw[next++];
        return typeof answer === 'number' ? { duplicate: false, epoch, seq: answer, id: draft.id } : priorOutcome(answer);
      });
    });
  }

  async read(key: string, afterSeq: number, options?: { snapshot?: boolean }): Promise<ReadResult> {
    const raw = await this.call(() =>
      this.command.sbRead(
        4,
        metaKey(key),
        logKey(key),
        snapshotOrderKey(key),
        snapshotValuesKey(key),
        afterSeq,
        this.options.history.size,
        newEpoch(),
        this.options.history.positionTtlSeconds,
        options?.snapshot ? SNAPSHOT_LIMIT : 0,
      ),
    );
    const [epoch, seq, complete, count, ...rest] = raw;
    const parse = (json: string | number) => JSON.parse(String(json)) as Envelope;
    const events = rest.slice(0, Number(count)).map(parse);
    return {
      epoch: String(epoch),
      seq: Number(seq),
      complete: Number(complete) === 1,
      events,
      ...(options?.snapshot ? { snapshot: rest.slice(Number(count)).map(parse) } : {}),
    };
  }

  resetEpoch(key: string, epoch: string): Promise<string> {
    return this.call(() =>
      this.command.sbResetEpoch(
        4,
        metaKey(key),
        logKey(key),
        snapshotOrderKey(key),
        snapshotValuesKey(key),
        epoch,
        newEpoch(),
        this.options.history.positionTtlSeconds,
      ),
    );
  }

  /** Resolves once the subscription is live; concurrent calls for one key share one attempt. */
  watch(key: string): Promise<void> {
    if (this.watched.has(key)) return Promise.resolve();
    let attempt = this.watching.get(key);
    if (!attempt) {
      attempt = this.subscribeLive(key).finally(() => this.watching.delete(key));
      this.watching.set(key, attempt);
    }
    return attempt;
  }

  private async subscribeLive(key: string): Promise<void> {
    const sharded = await this.pubsubMode();
    const channel = liveChannel(key);
    // Marked before the subscription is confirmed, so a message racing the confirmation is kept.
    this.watched.add(key);
    const subscribe = sharded ? this.subscriber.ssubscribe(channel) : this.subscriber.subscribe(channel);
    try {
      await withTimeout(subscribe, this.options.watchTimeoutMs ?? 2000, 'subscribe timed out');
    } catch (error) {
      this.watched.delete(key);
      // The command may still run once Redis is back; undo it so no subscription leaks.
      void this.unsubscribe(channel, sharded);
      throw new EngineUnavailableError(`cannot watch ${key}: ${(error as Error).message}`, { cause: error });
    }
  }

  async unwatch(key: string): Promise<void> {
    if (!this.watched.delete(key)) return;
    await this.unsubscribe(liveChannel(key), await this.pubsubMode());
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.auditTimer);
    this.failover?.close();
    this.watched.clear();
    await Promise.resolve();
  }

  /**
   * Sharded pub/sub (SPUBLISH/SSUBSCRIBE) needs Redis 7. Every node must pick the same mode, so it
   * is decided from the server's version at first contact, not configured per node.
   */
  private pubsubMode(): Promise<boolean> {
    // Redis Cluster: always sharded (Redis 7+), so a channel's messages stay on its slot's node.
    if (this.clustered) return Promise.resolve(true);
    this.sharded ??= this.call(() => this.command.info('server')).then(
      (info) => Number(/redis_version:(\d+)/.exec(info)?.[1] ?? 0) >= 7,
      (error: unknown) => {
        this.sharded = undefined; // retry detection on the next call
        throw error;
      },
    );
    return this.sharded;
  }

  private async unsubscribe(channel: string, sharded: boolean): Promise<void> {
    try {
      await (sharded ? this.subscriber.sunsubscribe(channel) : this.subscriber.unsubscribe(channel));
    } catch (error) {
      this.logger.debug(`unsubscribe ${channel} failed: ${(error as Error).message}`);
    }
  }

  private onMessage(channel: string, message: string): void {
    const key = keyOfLiveChannel(channel);
    if (key === undefined || !this.watched.has(key) || !this.listener) return;
    let events: Envelope[];
    try {
      events = JSON.parse(message) as Envelope[];
    } catch {
      this.logger.error(`unparseable message on ${channel}`);
      return;
    }
    this.listener.arrived(key, events);
  }

  /**
   * After a reconnect, ioredis re-subscribes right after emitting `ready`. A PING sent on the
   * next tick is answered only after those subscriptions are live; then the listener may read
   * what was missed without racing new publishes.
   */
  private onSubscriberReady(): void {
    if (!this.subscriberWasReady) {
      this.subscriberWasReady = true;
      return;
    }
    this.settling = true;
    if (this.clustered) {
      // The group re-subscribes without waiting for the answers, and no PING can follow them on
      // each shard's connection: catch up now, and once more when the subscriptions have surely
      // landed, so an event published in between is not left waiting for the next one.
      this.listener?.resumed();
      setTimeout(() => {
        if (this.closed) return;
        this.listener?.resumed();
        this.settling = false;
        void this.auditSubscriptions();
      }, CLUSTER_RESUME_AGAIN_MS).unref();
      return;
    }
    setImmediate(() => {
      this.subscriber
        .ping()
        .then(() => {
          if (this.closed) return;
          this.listener?.resumed();
          // A reconnect is when client libraries lose subscriptions: check now, not at the next tick.
          this.settling = false;
          void this.auditSubscriptions();
        })
        .catch((error: Error) => {
          // The next reconnect tries again; meanwhile the timer's audits may run.
          this.settling = false;
          this.logger.warn(`resume check failed: ${error.message}`);
        });
    });
  }

  /**
   * When Redis holds fewer of this node's subscriptions than the channels it follows, twice in a
   * row (AUDIT_CONFIRM_MS apart), subscribes to all of them again (a repeated subscribe is a
   * no-op) and catches up from history, so a lost subscription costs a delay, never events.
   * Returns how many were missing (undefined: not checked, or a shortfall waiting for its second
   * count). A timer and every reconnect call it; public for its test.
   */
  async auditSubscriptions(): Promise<number | undefined> {
    if (!this.audit || this.auditing || this.settling || this.closed || this.subscriber.status !== 'ready') return undefined;
    this.auditing = true;
    try {
      // A channel whose subscribe is still on its way is not expected to be held yet.
      const expected = [...this.watched].filter((key) => !this.watching.has(key));
      if (expected.length === 0) return 0;
      const count = await this.audit.count(expected.map(liveChannel));
      if (count === undefined) return undefined;
      if (count.held >= count.expected) {
        this.suspect = false;
        return 0;
      }
      if (!this.suspect) {
        // Maybe a reconnect still re-subscribing: count again shortly before acting.
        this.suspect = true;
        setTimeout(() => void this.auditSubscriptions(), AUDIT_CONFIRM_MS).unref();
        return undefined;
      }
      this.suspect = false;
      const missing = count.expected - count.held;
      this.logger.error(
        `Redis holds ${count.held} of the ${count.expected} channel subscriptions this node follows: subscribing again and catching up from history`,
      );
      const sharded = await this.pubsubMode();
      const timeoutMs = this.options.watchTimeoutMs ?? 2000;
      await Promise.all(
        expected
          .filter((key) => this.watched.has(key))
          .map((key) => {
            const channel = liveChannel(key);
            const subscribe = sharded ? this.subscriber.ssubscribe(channel) : this.subscriber.subscribe(channel);
            return withTimeout(subscribe, timeoutMs, 'subscribe timed out').catch(() => undefined);
          }),
      );
      if (!this.closed) {
        this.listener?.resumed();
        this.listener?.subscriptionsRepaired?.(missing);
      }
      return missing;
    } catch (error) {
      this.logger.debug(`subscription audit failed: ${(error as Error).message}`);
      return undefined;
    } finally {
      this.auditing = false;
    }
  }

  /** Redis answered with an error (refused) or did not answer (unavailable): two different failures. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      const message = (error as Error).message;
      if (error instanceof ReplyError && !TRANSIENT_REPLY.test(message)) {
        throw new EngineRefusedError(refusalOf(message), `redis refused: ${message}`, { cause: error });
      }
      throw new EngineUnavailableError(`redis: ${message}`, { cause: error });
    }
  }
}

/**
 * Error replies that mean "not now" rather than "no": a Redis loading its data after a restart,
 * busy with a long script, or a cluster reconfiguring. They heal by waiting, like a dropped
 * connection, so they count as unavailable (queued), not refused.
 */
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN)\b/;

/** The reason behind an error reply; script errors carry the inner reply after the script's name. */
export function refusalOf(message: string): StorageRefusal {
  if (/\bOOM\b/.test(message)) return 'full';
  if (/\bREADONLY\b/.test(message)) return 'read-only';
  if (/\bMISCONF\b/.test(message)) return 'persistence';
  return 'error';
}

/** A duplicate's original outcome, stored by the publish script as "<epoch>|<seq>|<id>". */
function priorOutcome(stored: string): PublishOutcome {
  const first = stored.indexOf('|');
  const second = stored.indexOf('|', first + 1);
  return { duplicate: true, epoch: stored.slice(0, first), seq: Number(stored.slice(first + 1, second)), id: stored.slice(second + 1) };
}

/** The subscriber's connection name (a Cluster's is in its per-node options), if it has one. */
function connectionNameOf(client: RedisClient): string | undefined {
  const options = client.options as { connectionName?: string; redisOptions?: { connectionName?: string } };
  return options.connectionName ?? options.redisOptions?.connectionName;
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
