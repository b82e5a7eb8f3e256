import { Redis, type RedisOptions } from 'ioredis';

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
export function createRedis(url: string, name: string, purpose: ConnectionPurpose): Redis {
  const options: RedisOptions = {
    connectionName: `headline-ticker:${name}`,
    // Reconnect quickly and keep trying; the backoff tops out at 1 s so recovery is prompt.
    retryStrategy: (times) => Math.min(50 * times, 1000),
    enableOfflineQueue: purpose !== 'command',
    maxRetriesPerRequest: purpose === 'command' ? 1 : null,
    ...(purpose === 'command' ? { commandTimeout: COMMAND_TIMEOUT_MS, connectTimeout: 2000 } : {}),
    lazyConnect: false,
  };
  return new Redis(url, options);
}

/** Resolves once the connection is ready, or rejects after `timeoutMs`. */
export function waitReady(redis: Redis, timeoutMs = 10_000): Promise<void> {
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
export async function quitQuietly(redis: Redis): Promise<void> {
  try {
    if (redis.status === 'end') return;
    if (redis.status === 'ready') await redis.quit();
    else redis.disconnect();
  } catch {
    redis.disconnect();
  }
}
