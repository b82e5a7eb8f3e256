// main.ts's path for TICKER_PROCESSES > 1 in the primary: fork the children, pass signals on,
// stop them all within the shutdown deadline.
import type { Env } from '../config/env.js';
import type { Logger } from '../logger.js';
import type { PrivateRedis } from '../redis/private-redis.js';
import { describeTopology, type RedisTopology } from '../redis/redis-topology.js';
import { startPrimary } from './primary.js';

/** One process per core: the primary's signals go to every child; it exits once they have. */
export async function runPrimary(
  env: Env,
  redis: { topology: RedisTopology; privateRedis: PrivateRedis | null },
  logger: Logger,
): Promise<void> {
  const role = env.TICKER_ROLE === 'worker' ? 'gateway' : env.TICKER_ROLE; // readEnv refuses worker
  // The children use the Redis the primary found (or started), not a probe of their own.
  const childEnv: Record<string, string> =
    env.redis === null && redis.topology.kind === 'standalone' ? { REDIS_URL: redis.topology.url } : {};
  const primary = await startPrimary({ processes: env.processes, role, port: env.PORT, host: env.HOST, childEnv, logger });
  process.on('SIGHUP', () => primary.forward('SIGHUP'));
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      primary.kill();
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, processes: env.processes }, 'shutting down every process');
    // Inside the same 10 s as one process: children still running just before are killed.
    const force = setTimeout(() => {
      logger.error('a process took over 9.5 s to stop: killing it');
      primary.kill();
      process.exit(1);
    }, 9_500);
    force.unref();
    void primary
      .stop()
      .then(() => redis.privateRedis?.stop())
      .then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.write(`\n  Headline Ticker is live: http://localhost:${primary.port}/ (${env.processes} processes)\n\n`);
  logger.info(
    { port: primary.port, role: env.TICKER_ROLE, processes: env.processes, redis: describeTopology(redis.topology) },
    'headline ticker started',
  );
}
