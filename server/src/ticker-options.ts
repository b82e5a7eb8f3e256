import type { StreamOptions } from './api/stream-route.js';
import type { Role } from './config/env.js';
import type { TickerConfig } from './config/ticker-config.js';
import type { IngestQueue } from './ingest/ingest-queue.js';
import type { AuditLog } from './log/audit-log.js';
import type { FeedKeys } from './log/feed-keys.js';
import type { FeedLog } from './log/feed-log.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { RedisClient } from './redis/connection.js';
import type { RedisConnections } from './redis/connections.js';
import type { Part } from './shutdown.js';
import type { Durability, RedisTopology } from './redis/redis-topology.js';
import type { FetchLimits } from './sources/feed-fetch.js';

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
  /**
   * Set in a child of one process per core (TICKER_PROCESSES): its slot. It does not listen; it
   * serves the connections the cluster primary hands over (processes/balancer.ts), and its session
   * ids name the slot so a long-polling session's requests come back to it. `port` is then the
   * primary's, for reporting.
   */
  processSlot?: number;
  /** Redis key prefix (default "ticker") */
  prefix?: string;
  workerConcurrency?: number;
  relayBufferSize?: number;
  /** the window a gateway's shutdown spreads its goodbyes over (env TICKER_SHUTDOWN_SPREAD_MS) */
  shutdownSpreadMs?: number;
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

/** What every role's parts are built from. */
export interface TickerParts {
  started: Part[];
  connections: RedisConnections;
  redis: RedisClient;
  keys: FeedKeys;
  prefix: string;
  log: FeedLog;
  /** the audit trail, built once: the worker writes failures to it, the API reads it */
  audit: AuditLog;
  ingest: IngestQueue;
  logger: Logger;
  metrics: Metrics;
}
