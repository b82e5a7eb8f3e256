import { createServer, type Server as HttpServer } from 'node:http';
import { Router, type Express } from 'express';
import { AccessRegistry } from './access/access-registry.js';
import { AddressLimits } from './access/address-limits.js';
import { Limits } from './access/limits.js';
import { createMetricsServer } from './api/metrics-route.js';
import type { TickerConfig } from './config/ticker-config.js';
import { feedKeys, type FeedKeys } from './log/feed-keys.js';
import type { FeedScheduler } from './sources/feed-scheduler.js';
import { AuditLog } from './log/audit-log.js';
import { FeedLog } from './log/feed-log.js';
import type { Gateway } from './gateway/gateway.js';
import { IngestQueue } from './ingest/ingest-queue.js';
import { createMetrics, type Metrics } from './metrics.js';
import type { UsageRecorder } from './usage/usage-recorder.js';
import { waitReady } from './redis/connection.js';
import { createRedisConnections, type RedisConnections } from './redis/connections.js';
import { storedPrefix, type RedisTopology } from './redis/redis-topology.js';
import { httpPart, listen } from './http-part.js';
import { stopParts, type Part } from './shutdown.js';
import type { TickerOptions, TickerParts } from './ticker-options.js';
import { startWorkerRole } from './worker-role.js';
import { startGatewayRole } from './gateway-role.js';
import { startHttpFront } from './http-front.js';
import { acceptHandedConnections } from './processes/child-connections.js';
import { machineMetricsSource } from './processes/cluster-metrics.js';

export type { TickerOptions } from './ticker-options.js';

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

/** /metrics on a port of its own; returns its URL. */
async function serveMetrics(started: Part[], metrics: Metrics, port: number, host: string): Promise<string> {
  const server = createMetricsServer(metrics);
  started.push(httpPart('metrics', server));
  return `http://127.0.0.1:${await listen(server, port, host)}`;
}

interface Base {
  started: Part[];
  connections: RedisConnections;
  keys: FeedKeys;
  prefix: string;
  metrics: Metrics;
  access: AccessRegistry;
  httpServer: HttpServer;
}

type Roles = Pick<RunningTicker, 'port' | 'app' | 'usage' | 'feeds' | 'gateway' | 'metricsUrl'>;

/** Starts the parts the role needs, each pushed onto `started` as it starts. */
async function startRoles(o: TickerOptions, base: Base): Promise<Roles> {
  const { started, connections, keys, prefix, metrics, access, httpServer } = base;
  const { logger } = o;
  const serves = { api: o.role !== 'worker', worker: o.role !== 'gateway' };
  const redis = connections.connect('command', 'command');
  await waitReady(redis);
  // Under durability "replica" writes go on connections of their own: WAIT counts only the
  // writes of its connection and blocks it meanwhile, so reads must not share it (replication.ts).
  const durable = o.durability === 'replica';
  const writer = (name: string) => (durable ? connections.connect(name, 'command') : undefined);
  const logWrites = serves.worker ? writer('log-writes') : undefined;
  const durableWrites = writer('queue-writes');
  for (const c of [logWrites, durableWrites]) if (c !== undefined) await waitReady(c);
  const log = new FeedLog(redis, keys, o.config.retention, { durability: o.durability ?? 'primary', writer: logWrites });
  const limits = new Limits(redis, prefix, o.config.limits);
  const addressLimits = new AddressLimits(o.config.limits);

  // The API queues the desk's flashes; the worker role queues feed items the same way.
  const crashAfterIdempotency = o.faultCrashAfterIdempotency ?? false;
  const audit = new AuditLog(redis, keys);
  const ingest = new IngestQueue({ connection: redis, durableWrites, log, keys, audit, prefix: keys.queuePrefix, crashAfterIdempotency });
  started.push({ name: 'queue', close: () => ingest.close() });
  ingest.registerMetrics(metrics);
  log.registerMetrics(metrics);
  const parts: TickerParts = { started, connections, redis, keys, prefix, log, audit, ingest, logger, metrics };
  const feeds = serves.worker ? await startWorkerRole(parts, o) : null;

  // Stopped after the gateway, which first says goodbye to every client over it.
  started.push(httpPart('http', httpServer));
  // The stream route needs the gateway, which attaches after Express: mounted here once built.
  const streamMount = Router();
  const { app, usage } = startHttpFront({ ...parts, httpServer, access, limits, addressLimits, api: serves.api, streamMount }, o);
  const gateway = serves.api
    ? await startGatewayRole({ ...parts, httpServer, access, limits, addressLimits, usage, streamMount }, o)
    : null;

  // One process per core: the primary listens and hands each connection to a child by its session.
  // Its scrape answers for the whole machine: the primary gathers every child's figures.
  if (o.processSlot !== undefined) {
    acceptHandedConnections(httpServer, gateway?.io ?? null, o.processSlot);
    metrics.scrapeFrom(machineMetricsSource(metrics.registries));
  }
  const port = o.processSlot !== undefined ? (o.port ?? 0) : await listen(httpServer, o.port ?? 0, o.host ?? '0.0.0.0');
  const metricsUrl = o.metricsPort === undefined ? undefined : await serveMetrics(started, metrics, o.metricsPort, o.host ?? '0.0.0.0');
  return { port, app, usage, feeds, gateway, ...(metricsUrl === undefined ? {} : { metricsUrl }) };
}

/** Starts the parts of the product a role needs, and stops them in reverse order. */
export async function startTicker(o: TickerOptions): Promise<RunningTicker> {
  const { logger } = o;
  const topology: RedisTopology = typeof o.redis === 'string' ? { kind: 'standalone', url: o.redis } : o.redis;
  const prefix = storedPrefix(o.prefix ?? 'ticker', topology);
  const metrics = createMetrics();
  const connections = createRedisConnections(topology, logger, metrics);
  // Each part registers how to stop it as it starts; stopping runs them in reverse, so a start
  // that fails half-way cleans up exactly what it had started.
  const started: Part[] = [{ name: 'redis', close: () => connections.close() }];
  const stopAll = () => stopParts(started, connections.all, logger);
  const access = new AccessRegistry(o.config);
  const httpServer = createServer();
  let roles: Roles;
  try {
    roles = await startRoles(o, { started, connections, keys: feedKeys(prefix), prefix, metrics, access, httpServer });
  } catch (err) {
    await stopAll();
    throw err;
  }

  const { usage, feeds } = roles;
  let closing: Promise<void> | null = null;
  return {
    ...roles,
    url: `http://127.0.0.1:${roles.port}`,
    access,
    httpServer,
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
