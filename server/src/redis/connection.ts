import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisTopology } from './redis-topology.js';

/**
 * A connection to the feed's Redis, whatever its topology. Both ioredis classes expose the same
 * commands; the product only ever touches keys on its one hash slot, so a cluster behaves like
 * one server here.
 */
export type RedisClient = Redis | Cluster;

export type ConnectionPurpose =
  /** request/response work that must fail fast while Redis is away (API, gateway reads) */
  | 'command'
  /** pub/sub subscriber: waits and resubscribes by itself */
  | 'subscriber'
  /** BullMQ worker: blocking commands, never gives up on a request */
  | 'worker';

/**
 * How long a request/response command may take before it fails: a hung Redis (paused, a
 * black-holed path) must give a quick 503, not a request that hangs for minutes.
 */
export const COMMAND_TIMEOUT_MS = 1000;

/** ioredis's error for a command that hit `commandTimeout` (it may still run on the server). */
export const isCommandTimeout = (err: unknown): boolean => err instanceof Error && err.message === 'Command timed out';

/** One place that decides how each kind of connection behaves when Redis goes away. */
export function createRedis(topology: RedisTopology, name: string, purpose: ConnectionPurpose): RedisClient {
  const options: RedisOptions = {
    connectionName: `headline-ticker:${name}`,
    // Reconnect quickly and keep trying; the backoff tops out at 1 s so recovery is prompt.
    retryStrategy: (times) => Math.min(50 * times, 1000),
    enableOfflineQueue: purpose !== 'command',
    maxRetriesPerRequest: purpose === 'command' ? 1 : null,
    ...(purpose === 'command' ? { commandTimeout: COMMAND_TIMEOUT_MS, connectTimeout: 2000 } : {}),
    lazyConnect: false,
    // A primary demoted to replica answers writes with READONLY: reconnect, which asks the
    // Sentinels (or the cluster) for the current primary, and resend the command.
    reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
  };
  if (topology.kind === 'standalone') return new Redis(topology.url, options);
  if (topology.kind === 'sentinel') {
    return new Redis({
      ...options,
      sentinels: topology.sentinels,
      name: topology.name,
      ...(topology.password === undefined ? {} : { password: topology.password }),
      ...(topology.sentinelPassword === undefined ? {} : { sentinelPassword: topology.sentinelPassword }),
      // Not ioredis' failoverDetector (a subscription to the Sentinels' +switch-master): a
      // crashed primary closes every connection, and a failover (or the Sentinels demoting an
      // old primary) makes Redis close its clients' connections, so each reconnects and asks
      // the Sentinels anew. ioredis leaves the detector off by default (extra Sentinel
      // connections, clean-up bugs); with it on, our SIGKILL test stayed unrecovered for 15 s
      // in 2 of 3 runs. What it alone would cover, a primary that hangs with its sockets open,
      // is left to operations (docs/redis-ha.md).
      failoverDetector: false,
      sentinelRetryStrategy: (times) => Math.min(100 * times, 1000),
    });
  }
  const clusterOptions: ClusterOptions = {
    redisOptions: {
      ...options,
      ...(topology.password === undefined ? {} : { password: topology.password }),
    },
    enableOfflineQueue: purpose !== 'command',
    clusterRetryStrategy: (times) => Math.min(100 * times, 1000),
    // Announcements go by sharded pub/sub (SPUBLISH): the subscriber listens on the node that
    // owns the feed's slot and follows it when the slot moves or fails over.
    shardedSubscribers: purpose === 'subscriber',
    // After a failover the slot map changes; ask the cluster again promptly.
    slotsRefreshTimeout: 2000,
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 300,
    retryDelayOnTryAgain: 200,
  };
  if (purpose === 'command') clusterOptions.maxRedirections = 4;
  return new Cluster(topology.nodes, clusterOptions);
}

/** Whether the connection is to a Redis Cluster (announcements are sharded there). */
export const isCluster = (redis: RedisClient): redis is Cluster => redis instanceof Cluster;

/** Resolves once the connection is ready, or rejects after `timeoutMs`. */
export function waitReady(redis: RedisClient, timeoutMs = 10_000): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not ready after ${timeoutMs} ms (status ${redis.status})`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}

/** Close without throwing, whatever state the connection is in. */
export async function quitQuietly(redis: RedisClient): Promise<void> {
  try {
    if (redis.status === 'end') return;
    if (redis.status === 'ready') await redis.quit();
    else redis.disconnect();
  } catch {
    redis.disconnect();
  }
}
