import type { Cluster, Redis } from 'ioredis';

/** How often a node checks that Redis still holds every subscription it relies on. */
export const SUBSCRIPTION_AUDIT_MS = 5000;

/**
 * Pub/sub subscriptions can vanish without a word. Clients of every ecosystem have shipped bugs
 * where a reconnect during a failover forgot them (ioredis, node-redis-sentinel, Redisson, Spring
 * Data Redis, go-redis), and a node whose subscription to a channel is gone receives nothing on
 * it: with no later event to show a seq jump, nothing would tell its clients. So the engine does
 * not take the client library's word for it. It asks Redis how many channels its subscriber
 * connection holds (`CLIENT LIST TYPE pubsub`, found by connection name), and when that is fewer
 * than the channels it follows, it subscribes again and catches up from history.
 */
export class SubscriptionAudit {
  constructor(
    /** Where the subscriber's connections live: the server, or every master of a Cluster. */
    private readonly servers: () => readonly Redis[],
    /** The subscriber's connection name (Cluster prefixes its shard subscribers' names). */
    private readonly name: string,
  ) {}

  /** Channels the subscriber holds on Redis (SUBSCRIBE and SSUBSCRIBE); undefined when its connection is not there. */
  async held(): Promise<number | undefined> {
    const lists = await Promise.all(this.servers().map((server) => server.call('CLIENT', 'LIST', 'TYPE', 'pubsub') as Promise<string>));
    let found = false;
    let held = 0;
    for (const list of lists) {
      const count = subscriptionsOf(list, this.name);
      if (count === undefined) continue;
      found = true;
      held += count;
    }
    return found ? held : undefined;
  }

  /** The servers to ask, from the engine's command client. */
  static serversOf(command: Redis | Cluster): () => readonly Redis[] {
    const cluster = command as Cluster;
    return (command as { isCluster?: boolean }).isCluster === true ? () => cluster.nodes('master') : () => [command as Redis];
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
