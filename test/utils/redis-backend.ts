import { ClusterTopology } from './redis-cluster';
import { RedisServer } from './redis-server';

/** The Redis modes the app-level suites run on (besides the embedded engine). */
export type RedisMode = 'redis' | 'cluster';

export interface RedisBackend {
  /** What the app needs to use it: REDIS_URL or REDIS_CLUSTER_NODES. */
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

/** A private Redis of the given mode: one server, or a three-master, three-replica cluster. */
export async function startRedis(mode: RedisMode): Promise<RedisBackend> {
  if (mode === 'cluster') {
    const cluster = await ClusterTopology.start();
    return { env: cluster.env, stop: () => cluster.stop() };
  }
  const server = await RedisServer.start();
  return { env: { REDIS_URL: server.url }, stop: () => server.stop() };
}
