import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { createRedis, quitQuietly, type ConnectionPurpose, type RedisClient } from './connection.js';
import type { RedisTopology } from './redis-topology.js';

export interface NamedConnection {
  name: string;
  redis: RedisClient;
}

/** Every Redis connection a ticker opens: logged when lost and restored, gauged, closed together. */
export interface RedisConnections {
  connect(name: string, purpose: ConnectionPurpose): RedisClient;
  readonly all: readonly NamedConnection[];
  close(): Promise<void>;
}

export function createRedisConnections(topology: RedisTopology, logger: Logger, metrics: Metrics): RedisConnections {
  const all: NamedConnection[] = [];
  metrics.gauge(
    'ticker_redis_connected',
    'Whether each Redis connection is ready (1) or not (0)',
    ['connection'],
    (g) => {
      for (const c of all) g.set({ connection: c.name }, c.redis.status === 'ready' ? 1 : 0);
    },
    'min',
  );
  return {
    all,
    connect(name, purpose) {
      const c = createRedis(topology, name, purpose);
      c.on('error', (err: Error) => logger.debug({ connection: name, err: err.message }, 'redis connection error'));
      let wasReady = false;
      c.on('ready', () => {
        if (wasReady) logger.info({ connection: name }, 'redis connection restored');
        wasReady = true;
      });
      c.on('close', () => {
        if (wasReady) logger.warn({ connection: name }, 'redis connection lost');
      });
      all.push({ name, redis: c });
      return c;
    },
    close: async () => {
      await Promise.all(all.map((c) => quitQuietly(c.redis)));
    },
  };
}
