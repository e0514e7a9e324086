import type { Cluster, Redis } from 'ioredis';

/** A client of any mode: one server or a Sentinel-found master (Redis), or Redis Cluster. */
export type RedisClient = Redis | Cluster;
