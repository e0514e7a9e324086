import type { RedisOptions } from 'ioredis';
import type { RedisConfig } from '../config';

/**
 * What every connection of a mode shares: credentials, TLS, and in Sentinel mode where to find
 * the master. REDIS_USERNAME / REDIS_PASSWORD override what a REDIS_URL carries (ioredis lets
 * options win over the URL).
 */
export function connectionOptions(redis: RedisConfig): RedisOptions {
  const tls = redis.tls ? { tls: redis.tls.ca !== undefined ? { ca: redis.tls.ca } : {} } : {};
  const auth = {
    ...(redis.username !== undefined ? { username: redis.username } : {}),
    ...(redis.password !== undefined ? { password: redis.password } : {}),
  };
  const { target } = redis;
  // Cluster: these become every node's options (ClusterOptions.redisOptions).
  if (target.mode === 'standalone' || target.mode === 'cluster') return { ...auth, ...tls };
  return {
    ...auth,
    ...tls,
    sentinels: target.sentinels.map(({ host, port }) => ({ host, port })),
    name: target.masterName,
    ...(target.sentinelPassword !== undefined ? { sentinelPassword: target.sentinelPassword } : {}),
    ...(redis.tls ? { enableTLSForSentinelMode: true, sentinelTLS: tls.tls } : {}),
    // Subscribe to the sentinels' +switch-master, so a failover is followed at once rather than
    // when the old master's socket finally errors.
    failoverDetector: true,
    // Only the master takes writes; a replica that answers would fail every publish with READONLY.
    role: 'master',
  };
}
