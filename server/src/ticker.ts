import { createServer, type Server as HttpServer } from 'node:http';
import { Router, type Express } from 'express';
import type { AddressInfo } from 'node:net';
import { AccessRegistry } from './access/access-registry.js';
import { AddressLimits } from './access/address-limits.js';
import { clientAddressResolver } from './access/client-address.js';
import { ConnectionCounter } from './access/connection-counter.js';
import { Limits } from './access/limits.js';
import { createApp } from './api/app.js';
import { streamRoute, type StreamOptions } from './api/stream-route.js';
import { createMetricsServer } from './api/metrics-route.js';
import type { Role } from './config/env.js';
import type { TickerConfig } from './config/ticker-config.js';
import { AuditLog } from './log/audit-log.js';
import { feedKeys } from './log/feed-keys.js';
import type { FetchLimits } from './sources/feed-fetch.js';
import { FeedMemory } from './sources/feed-memory.js';
import { FeedPoller } from './sources/feed-poller.js';
import { FeedScheduler } from './sources/feed-scheduler.js';
import { FeedLog } from './log/feed-log.js';
import { FeedRelay } from './gateway/feed-relay.js';
import { createGateway, type Gateway } from './gateway/gateway.js';
import { IngestQueue } from './ingest/ingest-queue.js';
import { createIngestWorker, type IngestWorker } from './ingest/ingest-worker.js';
import type { Logger } from './logger.js';
import { createMetrics } from './metrics.js';
import { UsageRecorder } from './usage/usage-recorder.js';
import { createRedis, quitQuietly, waitReady, type RedisClient } from './redis/connection.js';
import { storedPrefix, type Durability, type RedisTopology } from './redis/redis-topology.js';

export interface TickerOptions {
  role: Role;
  /** where Redis is: a URL (one server) or a Sentinel / Cluster topology */
  redis: string | RedisTopology;
  /** `replica`: answer 202 and serve events only once a replica has them (default `primary`) */
  durability?: Durability;
  config: TickerConfig;
  logger: Logger;
  port?: number;
  host?: string;
  /** Redis key prefix (default "ticker") */
  prefix?: string;
  workerConcurrency?: number;
  relayBufferSize?: number;
  /** fault injection for tests only: see IngestWorkerOptions.killAfterSeq */
  faultKillAfterSeq?: number;
  /** fault injection for tests only: see IngestQueueOptions.crashAfterIdempotency */
  faultCrashAfterIdempotency?: boolean;
  /** fault injection for tests only: see IngestWorkerOptions.failTextContaining */
  faultFailTextContaining?: string;
  /** how long a queued change may be retried after its due time (default 5 minutes) */
  retryHorizonMs?: number;
  /** feed polling limits (tests shorten the timeout) */
  feedLimits?: Partial<FetchLimits>;
  /** Server-Sent Events heartbeat, retry and slow-consumer settings (tests shorten them) */
  stream?: StreamOptions;
  /** serve /metrics on this port only (0: any free one), on `host` */
  metricsPort?: number;
  /** addresses or CIDR ranges besides loopback that may read /metrics on the main port */
  metricsAllow?: readonly string[];
}

export interface RunningTicker {
  readonly port: number;
  readonly url: string;
  /** where /metrics is served when it has its own port */
  readonly metricsUrl?: string;
  readonly access: AccessRegistry;
  readonly gateway: Gateway | null;
  readonly httpServer: HttpServer;
  /** the Express app behind Socket.IO (the OpenAPI test enumerates its routes) */
  readonly app: Express;
  /** the feed poller (worker roles only) */
  readonly feeds: FeedScheduler | null;
  /** licence usage (API roles only) */
  readonly usage: UsageRecorder | null;
  /**
   * Applies a re-read config: keys, editors and entitlements at once (revoked keys are cut
   * off), then feeds added, changed and removed.
   */
  reload(config: TickerConfig): Promise<void>;
  close(): Promise<void>;
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
    return await Promise.race([redis.ping().then(() => true, () => false), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Starts the parts of the product a role needs, and stops them in reverse order. */
export async function startTicker(o: TickerOptions): Promise<RunningTicker> {
  const { logger } = o;
  const topology: RedisTopology = typeof o.redis === 'string' ? { kind: 'standalone', url: o.redis } : o.redis;
  const prefix = storedPrefix(o.prefix ?? 'ticker', topology);
  const keys = feedKeys(prefix);
  const serves = { api: o.role !== 'worker', worker: o.role !== 'gateway' };
  const connections: { name: string; redis: RedisClient }[] = [];
  const metrics = createMetrics();
  metrics.gauge('ticker_redis_connected', 'Whether each Redis connection is ready (1) or not (0)', ['connection'], (g) => {
    for (const c of connections) g.set({ connection: c.name }, c.redis.status === 'ready' ? 1 : 0);
  });
  const connect = (name: string, purpose: Parameters<typeof createRedis>[2]) => {
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
    connections.push({ name, redis: c });
    return c;
  };

  // Each part registers how to stop it as it starts; stopping runs them in reverse, so a start
  // that fails half-way cleans up exactly what it had started.
  const started: { name: string; close: () => Promise<void> }[] = [];
  const stopAll = async () => {
    // With Redis gone or hung nothing will be flushed to it: the connections are dropped first,
    // so every step's Redis calls fail at once instead of waiting for a reconnect, and each step
    // has a deadline, so shutdown ends well inside the process's 10 s limit.
    let redisAway = false;
    const dropRedis = () => {
      if (redisAway) return;
      redisAway = true;
      logger.warn('Redis is unreachable at shutdown: closing without it');
      for (const c of connections) c.redis.disconnect();
    };
    if (connections.some((c) => c.redis.status !== 'ready')) dropRedis();
    // A hung Redis looks ready: probed alongside the first steps (which do not need it).
    else void pingWithin(connections[0]?.redis, 500).then((ok) => ok || dropRedis());
    for (const step of started.splice(0).reverse()) {
      let timer: NodeJS.Timeout | undefined;
      try {
        const deadline = new Promise<'late'>((resolve) => {
          timer = setTimeout(() => resolve('late'), redisAway ? STEP_DEADLINE_NO_REDIS_MS : STEP_DEADLINE_MS);
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
  };
  started.push({ name: 'redis', close: async () => void (await Promise.all(connections.map((c) => quitQuietly(c.redis)))) });

  const access = new AccessRegistry(o.config);
  let feeds: FeedScheduler | null = null;
  let gateway: Gateway | null = null;
  let usage: UsageRecorder | null = null;
  // The stream route needs the gateway, which attaches after Express: mounted here once built.
  const streamMount = Router();
  const httpServer = createServer();
  let port: number;
  let app: Express;
  let metricsUrl: string | undefined;
  try {
    const redis = connect('command', 'command');
    await waitReady(redis);
    const log = new FeedLog(redis, keys, o.config.retention, { durability: o.durability ?? 'primary' });
    const limits = new Limits(redis, prefix, o.config.limits);
    const addressLimits = new AddressLimits(o.config.limits);

    // The API queues the desk's flashes; the worker role queues feed items the same way.
    const ingest = new IngestQueue({
      connection: redis,
      log,
      keys,
      prefix: keys.queuePrefix,
      crashAfterIdempotency: o.faultCrashAfterIdempotency ?? false,
    });
    started.push({ name: 'queue', close: () => ingest.close() });
    metrics.gauge('ticker_queue_jobs', 'Ingest jobs by state', ['state'], async (g) => {
      const counts = await ingest.queue.getJobCounts('waiting', 'active', 'delayed', 'failed').catch(() => null);
      if (counts) for (const [state, n] of Object.entries(counts)) g.set({ state }, n);
    });
    metrics.gauge('ticker_log_events', 'Events held in the feed log (length of the Redis stream)', [], async (g) => {
      const n = await redis.xlen(keys.log).catch(() => null);
      if (n !== null) g.set(n);
    });
    metrics.gauge('ticker_log_retention_max_events', 'retention.maxEvents: the log size memory is planned for', [], (g) => g.set(o.config.retention.maxEvents));
    if (serves.worker) {
      const worker: IngestWorker = createIngestWorker({
        connection: connect('worker', 'worker'),
        log,
        logger: logger.child({ part: 'worker' }),
        prefix: keys.queuePrefix,
        concurrency: o.workerConcurrency,
        killAfterSeq: o.faultKillAfterSeq,
        failTextContaining: o.faultFailTextContaining,
        retryHorizonMs: o.retryHorizonMs,
        audit: new AuditLog(redis, keys),
        onFailed: ({ op }) => metrics.failed.inc({ op }),
        onAppended: ({ status, dueAt, hardDropped }) => {
          metrics.published.inc({ status });
          if (hardDropped > 0) metrics.hardDropped.inc(hardDropped);
          metrics.ingestLatency.observe(Math.max(0, Date.now() - dueAt) / 1000);
        },
      });
      // Stopped after the feeds (no new items are queued while it drains), before the queue.
      started.push({ name: 'worker', close: () => worker.close() });
      const feedLogger = logger.child({ part: 'feeds' });
      const scheduler = new FeedScheduler({
        connection: redis,
        workerConnection: connect('feeds', 'worker'),
        prefix: keys.queuePrefix,
        poller: new FeedPoller({ ingest, log, memory: new FeedMemory(redis, prefix), logger: feedLogger, limits: o.feedLimits }),
        logger: feedLogger,
      });
      feeds = scheduler;
      started.push({ name: 'feeds', close: () => scheduler.close() });
      await scheduler.sync(o.config.feeds);
      scheduler.start();
    }

    // Stopped after the gateway, which first says goodbye to every client over it.
    started.push({
      name: 'http',
      close: () => new Promise<void>((resolve) => {
        if (!httpServer.listening) return resolve();
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      }),
    });
    if (serves.api) {
      const recorder = new UsageRecorder({
        redis,
        prefix,
        config: o.config.usage,
        logger: logger.child({ part: 'usage' }),
        metrics,
        keys: () => access.keys,
      });
      usage = recorder;
      // Stopped after the gateway, so the last disconnects are flushed too.
      started.push({ name: 'usage', close: () => recorder.close() });
      recorder.start();
    }
    // Express first, Socket.IO second: Engine.IO then takes over the one request listener and
    // hands Express only what is not /socket.io/. Attached the other way round both answered a
    // long-polling request, and the second write crashed the process (ERR_HTTP_HEADERS_SENT).
    app = createApp({
      access,
      limits,
      ingest: serves.api ? ingest : null,
      log,
      redis,
      logger,
      metrics,
      api: serves.api,
      usage,
      stream: serves.api ? streamMount : null,
      trustedProxies: o.config.trustedProxies,
      addressLimits,
      metricsAccess: { ownPort: o.metricsPort !== undefined, allow: o.metricsAllow ?? [] },
    });
    httpServer.on('request', app);
    if (serves.api) {
      const relay = new FeedRelay({
        subscriber: connect('subscriber', 'subscriber'),
        log,
        logger: logger.child({ part: 'relay' }),
        // Memory must never reach back further than the log is sure to: the log is the truth,
        // and a `since` it no longer holds gets a reset, not a replay from memory.
        bufferSize: Math.min(o.relayBufferSize ?? 10_000, o.config.retention.maxEvents),
      });
      started.push({ name: 'relay', close: () => relay.close() });
      await relay.start();
      const connCounter = new ConnectionCounter(redis, prefix);
      started.push({ name: 'connection-counter', close: () => connCounter.close() });
      await connCounter.start();
      const gw = await createGateway({
        httpServer,
        access,
        limits,
        connections: connCounter,
        addressOf: clientAddressResolver(o.config.trustedProxies),
        addressLimits,
        log,
        relay,
        metrics,
        logger: logger.child({ part: 'gateway' }),
        usage: usage!,
      });
      gateway = gw;
      started.push({ name: 'gateway', close: () => gw.close() });
      streamMount.use(streamRoute({ ...o.stream, access, limits, connections: connCounter, log, relay, gateway: gw, metrics, logger: logger.child({ part: 'stream' }) }));
    }

    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(o.port ?? 0, o.host ?? '0.0.0.0', () => resolve());
    });
    port = (httpServer.address() as AddressInfo).port;
    if (o.metricsPort !== undefined) {
      const server = createMetricsServer(metrics);
      started.push({ name: 'metrics', close: () => new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }) });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(o.metricsPort, o.host ?? '0.0.0.0', () => resolve());
      });
      metricsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    }
  } catch (err) {
    await stopAll();
    throw err;
  }

  let closing: Promise<void> | null = null;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    ...(metricsUrl === undefined ? {} : { metricsUrl }),
    access,
    gateway,
    httpServer,
    app,
    feeds,
    usage,
    reload: async (config) => {
      access.replace(config);
      if (usage) usage.config = config.usage;
      logger.info({ keys: config.keys.length, editors: config.editors.length, feeds: config.feeds.length }, 'config reloaded');
      await feeds?.sync(config.feeds);
    },
    close: () =>
      (closing ??= (async () => {
        await stopAll();
        logger.info('headline ticker stopped');
      })()),
  };
}
