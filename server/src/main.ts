// The one entry point: `TICKER_ROLE=all|gateway|worker`. Validates the environment and the
// config file, finds (or starts) Redis, runs the role, and shuts down cleanly on a signal.
import cluster from 'node:cluster';
import { watchFile } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ConfigError, DEFAULT_REDIS_URL, readEnv, type Env } from './config/env.js';
import { loadConfig, readConfig } from './config/load-config.js';
import type { TickerConfig } from './config/ticker-config.js';
import { createLogger, type Logger } from './logger.js';
import { PrivateRedis, redisServerAvailable } from './redis/private-redis.js';
import { describeTopology, type RedisTopology } from './redis/redis-topology.js';
import { CHILD_READY } from './processes/primary.js';
import { answerPrimaryGathering } from './processes/cluster-metrics.js';
import { runPrimary } from './processes/run-primary.js';
import { startTicker, type RunningTicker } from './ticker.js';

async function redisAnswers(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null, connectTimeout: 1000, maxRetriesPerRequest: 0 });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/**
 * The topology the environment names (REDIS_URL, REDIS_SENTINELS, REDIS_CLUSTER_NODES); else the
 * default address if it answers; else a private redis-server under .data/.
 */
async function resolveRedis(env: Env, logger: Logger): Promise<{ topology: RedisTopology; privateRedis: PrivateRedis | null }> {
  if (env.redis !== null) return { topology: env.redis, privateRedis: null };
  if (await redisAnswers(DEFAULT_REDIS_URL)) return { topology: { kind: 'standalone', url: DEFAULT_REDIS_URL }, privateRedis: null };
  if (!redisServerAvailable()) {
    throw new ConfigError(
      `REDIS_URL: nothing answers at ${DEFAULT_REDIS_URL} and there is no redis-server on PATH.\n` +
        '  Install one (Debian/Ubuntu: apt-get install redis-server), or run `docker compose up redis`,\n' +
        '  or set REDIS_URL to a Redis you have.',
    );
  }
  const dir = join(process.cwd(), '.data', 'redis');
  const privateRedis = await new PrivateRedis({ dir }).start();
  logger.info({ url: privateRedis.url, dir }, 'no Redis at the default address: started a private redis-server (stopped with the app)');
  return { topology: { kind: 'standalone', url: privateRedis.url }, privateRedis };
}

/** Reloads on SIGHUP and when the file changes. A file that does not validate changes nothing. */
function reloadOnChange(env: Env, ticker: RunningTicker, logger: Logger): void {
  const configPath = env.TICKER_CONFIG;
  const reload = (reason: string) => {
    if (configPath === undefined) return logger.info({ reason }, 'no TICKER_CONFIG to reload');
    let next: TickerConfig;
    try {
      next = readConfig(env, configPath);
    } catch (err) {
      return logger.error({ reason, err: (err as Error).message }, 'config reload failed; keeping the previous config');
    }
    ticker
      .reload(next)
      .catch((err: unknown) =>
        logger.error({ err: (err as Error).message }, 'config reload incomplete: feed schedules not synced; send SIGHUP again'),
      );
  };
  process.on('SIGHUP', () => reload('SIGHUP'));
  if (configPath !== undefined) {
    watchFile(configPath, { interval: 500, persistent: false }, (now, before) => {
      if (now.mtimeMs !== before.mtimeMs || now.size !== before.size) reload('file changed');
    });
  }
}

/**
 * Stops on SIGTERM or SIGINT, within 10 s; a second signal exits at once. A child of one process
 * per core ignores a second signal (Ctrl-C reaches it from the terminal and from its primary, which
 * keeps the deadline) and stops when its primary is gone.
 */
function stopOnSignal(ticker: RunningTicker, privateRedis: PrivateRedis | null, logger: Logger): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      if (cluster.isWorker) return;
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown took over 10 s: exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    void ticker
      .close()
      .then(() => privateRedis?.stop())
      .then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (cluster.isWorker) process.on('disconnect', () => stop('SIGTERM'));
}

async function main(): Promise<void> {
  let env: Env;
  try {
    env = readEnv();
  } catch (err) {
    process.stderr.write(`headline-ticker: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const logger = createLogger(env.LOG_LEVEL, {
    role: env.TICKER_ROLE,
    pid: process.pid,
    ...(env.TICKER_PROCESS_SLOT === undefined ? {} : { slot: env.TICKER_PROCESS_SLOT }),
  });
  let config: TickerConfig;
  let redis: { topology: RedisTopology; privateRedis: PrivateRedis | null };
  try {
    config = loadConfig(env, logger);
    redis = await resolveRedis(env, logger);
  } catch (err) {
    process.stderr.write(`headline-ticker: ${(err as Error).message}\n`);
    process.exit(2);
  }

  if (env.processes > 1 && cluster.isPrimary) return runPrimary(env, redis, logger);
  const child = cluster.isWorker;
  if (child) answerPrimaryGathering();

  const ticker = await startTicker({
    role: env.TICKER_ROLE,
    redis: redis.topology,
    durability: env.REDIS_DURABILITY,
    ...(env.TICKER_PREFIX === undefined ? {} : { prefix: env.TICKER_PREFIX }),
    config,
    logger,
    port: env.PORT,
    host: env.HOST,
    ...(child ? { processSlot: env.TICKER_PROCESS_SLOT ?? 0 } : {}),
    faultKillAfterSeq: env.TICKER_FAULT_KILL_AFTER_SEQ,
    ...(env.METRICS_PORT === undefined ? {} : { metricsPort: env.METRICS_PORT }),
    ...(env.METRICS_ALLOW === undefined ? {} : { metricsAllow: env.METRICS_ALLOW }),
    faultCrashAfterIdempotency: env.TICKER_FAULT_CRASH_AFTER_IDEMPOTENCY === '1',
    ...(env.TICKER_RETRY_HORIZON_SECONDS === undefined ? {} : { retryHorizonMs: env.TICKER_RETRY_HORIZON_SECONDS * 1000 }),
    ...(env.TICKER_SHUTDOWN_SPREAD_MS === undefined ? {} : { shutdownSpreadMs: env.TICKER_SHUTDOWN_SPREAD_MS }),
  });
  if (env.TICKER_ROLE !== 'worker' && !child) {
    process.stdout.write(`\n  Headline Ticker is live: http://localhost:${ticker.port}/\n\n`);
  }

  reloadOnChange(env, ticker, logger);
  stopOnSignal(ticker, redis.privateRedis, logger);
  // Only now, with every handler in place, is the process ready to be managed.
  if (child) {
    logger.info({ slot: env.TICKER_PROCESS_SLOT, role: env.TICKER_ROLE, port: ticker.port }, 'process serving');
    process.send?.({ type: CHILD_READY });
    return;
  }
  logger.info(
    { port: ticker.port, role: env.TICKER_ROLE, redis: describeTopology(redis.topology), durability: env.REDIS_DURABILITY },
    'headline ticker started',
  );
}

void main().catch((err: unknown) => {
  process.stderr.write(`headline-ticker: failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
