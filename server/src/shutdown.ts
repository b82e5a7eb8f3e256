import type { Logger } from './logger.js';
import type { NamedConnection } from './redis/connections.js';
import type { RedisClient } from './redis/connection.js';

/** A started part, as the ticker stops it. */
export interface Part {
  name: string;
  close: () => Promise<void>;
}

/** Per shutdown step: the whole shutdown must end inside main.ts's 10 s forced exit. */
const STEP_DEADLINE_MS = 3000;
const STEP_DEADLINE_NO_REDIS_MS = 500;

async function pingWithin(redis: RedisClient | undefined, ms: number): Promise<boolean> {
  if (redis === undefined) return true;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      redis.ping().then(
        () => true,
        () => false,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Closes one part within `ms`: a late or failing step is logged and shutdown goes on. */
async function closeWithin(step: Part, ms: number, logger: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const deadline = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), ms);
    });
    if ((await Promise.race([step.close(), deadline])) === 'late') {
      logger.warn({ step: step.name }, 'shutdown step did not finish in time; going on');
    }
  } catch (err) {
    logger.warn({ step: step.name, err: (err as Error).message }, 'shutdown step failed');
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Closes `started` in reverse (emptying it), each step with a deadline. With Redis gone or hung
 * nothing will be flushed to it: the connections are dropped first, so every step's Redis calls
 * fail at once instead of waiting for a reconnect, and shutdown ends well inside the process's
 * 10 s limit.
 */
export async function stopParts(started: Part[], connections: readonly NamedConnection[], logger: Logger): Promise<void> {
  // An object, not a `let`: dropRedis may set it from the probe while the steps run.
  const redis = { away: false };
  const dropRedis = () => {
    if (redis.away) return;
    redis.away = true;
    logger.warn('Redis is unreachable at shutdown: closing without it');
    for (const c of connections) c.redis.disconnect();
  };
  if (connections.some((c) => c.redis.status !== 'ready')) dropRedis();
  // A hung Redis looks ready: probed alongside the first steps (which do not need it).
  else
    void pingWithin(connections[0]?.redis, 500).then((ok) => {
      if (!ok) dropRedis();
    });
  for (const step of started.splice(0).reverse()) {
    await closeWithin(step, redis.away ? STEP_DEADLINE_NO_REDIS_MS : STEP_DEADLINE_MS, logger);
  }
}
