import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis } from 'ioredis';

/** How often a node checks that Redis still holds every subscription it relies on. */
export const SUBSCRIPTION_AUDIT_MS = 5000;

/**
 * A shortfall is acted on only when a second count this much later still finds it: right after
 * a reconnect or a failover the client is re-subscribing by itself, and a count taken then is not
 * a loss.
 */
export const AUDIT_CONFIRM_MS = 1000;

/** Subscriptions the subscriber should hold, and does, on the servers that answered. */
export interface AuditCount {
  readonly expected: number;
  readonly held: number;
}

/**
 * Pub/sub subscriptions can vanish without a word. Clients of every ecosystem have shipped bugs
 * where a reconnect during a failover forgot them (ioredis, node-redis-sentinel, Redisson, Spring
 * Data Redis, go-redis), and a node whose subscription to a channel is gone receives nothing on
 * it: with no later event to show a seq jump, nothing would tell its clients. So the engine does
 * not take the client library's word for it. It asks Redis how many channels its subscriber
 * connection holds (`CLIENT LIST TYPE pubsub`, found by connection name) and compares.
 *
 * On Cluster the count is per master: each channel is expected on the master that owns its slot
 * (in the command client's view), and a master that does not answer is left out, with its
 * channels: a shard without a reachable master is an outage, which the reconnect's catch-up
 * covers, not a forgotten subscription.
 */
export class SubscriptionAudit {
  constructor(
    private readonly command: Redis | Cluster,
    /** The subscriber's connection name (Cluster prefixes its shard subscribers' names). */
    private readonly name: string,
  ) {}

  /** Counts `channels` (pub/sub channel names) against what Redis holds; undefined when no server could be asked. */
  async count(channels: readonly string[]): Promise<AuditCount | undefined> {
    if ((this.command as { isCluster?: boolean }).isCluster !== true) {
      const list = (await (this.command as Redis).call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
      const held = subscriptionsOf(list, this.name);
      return held === undefined ? undefined : { expected: channels.length, held };
    }
    const cluster = this.command as Cluster;
    const expected = new Map<string, number>();
    for (const channel of channels) {
      const owner = cluster.slots[calculateSlot(channel)]?.[0];
      if (owner !== undefined) expected.set(owner, (expected.get(owner) ?? 0) + 1);
    }
    const answers = await Promise.allSettled(
      cluster.nodes('all').map(async (node) => {
        const key = `${node.options.host ?? ''}:${node.options.port ?? ''}`;
        const want = expected.get(key);
        if (want === undefined) return undefined;
        const list = (await node.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
        // A master that answers but where no shard subscriber of ours is connected holds none.
        return { expected: want, held: subscriptionsOf(list, this.name) ?? 0 };
      }),
    );
    let total: AuditCount | undefined;
    for (const answer of answers) {
      if (answer.status !== 'fulfilled' || answer.value === undefined) continue;
      total = { expected: (total?.expected ?? 0) + answer.value.expected, held: (total?.held ?? 0) + answer.value.held };
    }
    return total;
  }
}

/**
 * Channels held by the connections named `name` in a CLIENT LIST reply (`sub` + `ssub`), or
 * undefined when none is listed. ioredis names a Cluster's shard subscribers
 * `ioredis-cluster(ssubscriber):<name>`, so a name ending in `:<name>` counts too.
 */
export function subscriptionsOf(clientList: string, name: string): number | undefined {
  let found = false;
  let held = 0;
  for (const line of clientList.split('\n')) {
    const fields = new Map<string, string>();
    for (const pair of line.trim().split(' ')) {
      const at = pair.indexOf('=');
      if (at > 0) fields.set(pair.slice(0, at), pair.slice(at + 1));
    }
    const lineName = fields.get('name');
    if (lineName === undefined || (lineName !== name && !lineName.endsWith(`:${name}`))) continue;
    found = true;
    held += Number(fields.get('sub') ?? 0) + Number(fields.get('ssub') ?? 0);
  }
  return found ? held : undefined;
}
