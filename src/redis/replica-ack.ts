import type { RedisClient } from './redis-client';

/** A write that no replica confirmed in time: a failover now could lose it. */
export class NotReplicatedError extends Error {
  constructor(timeoutMs: number) {
    super(`no Redis replica confirmed the write within ${timeoutMs} ms`);
    this.name = 'NotReplicatedError';
  }
}

/**
 * Resolves once a replica holds every write `client` has made so far, on the master that owns
 * `key` (Redis Cluster routes both commands there; `key` is only read). A master without
 * replicas answers at once: no failover can promote anything, so there is nothing to wait for.
 * Otherwise it waits for one replica (WAIT 1) for at most `timeoutMs`, and throws
 * NotReplicatedError when none confirmed: the replica is lagging or resyncing, the window in which
 * a failover loses acknowledged writes (docs/guarantees.md).
 *
 * For state whose loss nobody would be told of (print jobs, revocations); channel events have
 * epochs for that, and do not wait.
 */
export async function untilReplicated(client: RedisClient, key: string, timeoutMs: number): Promise<void> {
  if (timeoutMs <= 0) return;
  const [, [, info]] = (await client.pipeline().exists(key).info('replication').exec()) as [unknown, [Error | null, string]];
  const replicas = Number(/^connected_slaves:(\d+)/m.exec(info ?? '')?.[1] ?? 0);
  if (replicas === 0) return;
  const [, [, acked]] = (await client.pipeline().exists(key).wait(1, timeoutMs).exec()) as [unknown, [Error | null, number]];
  if (!(acked >= 1)) throw new NotReplicatedError(timeoutMs);
}
