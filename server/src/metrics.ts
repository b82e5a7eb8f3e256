import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, register as processRegistry } from 'prom-client';

// Node's process metrics (and module-level counters such as the feed poller's) live in the
// process-wide registry, collected once; each running ticker has its own registry, so several
// can share a process (as tests do) without clashing names.
let defaultsCollected = false;

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What the API accepts and refuses, and the worker appends. */
function writeMetrics(registers: Registry[]) {
  return {
    ingested: new Counter({
      name: 'ticker_headlines_ingested_total',
      help: 'Changes accepted by the API and queued (publish, correct, withdraw)',
      labelNames: ['op'] as const,
      registers,
    }),
    rejected: new Counter({
      name: 'ticker_headlines_rejected_total',
      help: 'Write requests refused, by error code',
      labelNames: ['reason'] as const,
      registers,
    }),
    published: new Counter({
      name: 'ticker_headlines_published_total',
      help: 'Events appended to the feed log by the worker, by status',
      labelNames: ['status'] as const,
      registers,
    }),
    ingestLatency: new Histogram({
      name: 'ticker_ingest_to_publish_seconds',
      help: 'From a job becoming due (queued, or its embargo time) to its append and announcement',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
  };
}

/** What a gateway emits, and how long after the write. */
function deliveryMetrics(registers: Registry[]) {
  return {
    delivered: new Counter({
      name: 'ticker_gateway_emits_total',
      help: 'Broadcasts of an event to its rooms at this gateway (one per event and delay)',
      labelNames: ['delayed'] as const,
      registers,
    }),
    emitLatency: new Histogram({
      name: 'ticker_publish_to_emit_seconds',
      help: 'From an event being written (its updatedAt) to its live emit at this gateway',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
  };
}

/** Changes that failed for good and events the log dropped early. */
function lossMetrics(registers: Registry[]) {
  return {
    failed: new Counter({
      name: 'ticker_changes_failed_total',
      help: 'Queued changes that failed for good (past the retry horizon, or rejected): never published',
      labelNames: ['op'] as const,
      registers,
    }),
    hardDropped: new Counter({
      name: 'ticker_log_hard_dropped_total',
      help: 'Events dropped from the feed log by its hard size ceiling before their minimum age',
      registers,
    }),
  };
}

/** Replays, resets, gaps and shed sockets, as readers meet them. */
function readMetrics(registers: Registry[]) {
  return {
    replays: new Counter({ name: 'ticker_replays_total', help: 'Subscribes with since served as a replay', registers }),
    resets: new Counter({ name: 'ticker_resets_total', help: 'Subscribes or history reads whose since had left the log', registers }),
    gaps: new Counter({ name: 'ticker_feed_gaps_total', help: 'Events that left the log before this gateway read them', registers }),
    shed: new Counter({
      name: 'ticker_sockets_shed_total',
      help: 'Sockets disconnected by the server, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
  };
}

export function createMetrics() {
  if (!defaultsCollected) {
    collectDefaultMetrics({ register: processRegistry });
    defaultsCollected = true;
  }
  const registry = new Registry();
  const registers = [registry];
  let scrape = async (): Promise<string> => `${await processRegistry.metrics()}\n${await registry.metrics()}`;
  return {
    registry,
    /** what this process contributes when a primary gathers its children's metrics */
    registries: [processRegistry, registry],
    ...writeMetrics(registers),
    ...deliveryMetrics(registers),
    ...lossMetrics(registers),
    ...readMetrics(registers),
    /**
     * A gauge whose value is read when scraped. `aggregator`: how one machine's processes combine
     * (per-core mode): `sum` for what each process holds, `max` for a figure read from Redis that
     * every process reports alike, `min` for an all-must-hold flag.
     */
    gauge(
      name: string,
      help: string,
      labelNames: readonly string[],
      collect: (g: Gauge) => void | Promise<void>,
      aggregator: 'sum' | 'max' | 'min' = 'sum',
    ) {
      return new Gauge({
        name,
        help,
        labelNames,
        registers,
        aggregator,
        async collect() {
          await collect(this);
        },
      });
    },
    /** The scrape: process metrics, module-level metrics, then this ticker's (or, per core, the machine's). */
    text: (): Promise<string> => scrape(),
    /** In per-core mode a child's scrape answers for every process of the machine (cluster-metrics.ts). */
    scrapeFrom(source: () => Promise<string>): void {
      scrape = source;
    },
    contentType: registry.contentType,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
