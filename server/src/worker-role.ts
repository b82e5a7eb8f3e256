import { createIngestWorker } from './ingest/ingest-worker.js';
import { FeedMemory } from './sources/feed-memory.js';
import { FeedPoller } from './sources/feed-poller.js';
import { createFeedMetrics } from './sources/feed-metrics.js';
import { createFeedScheduler, type FeedScheduler } from './sources/feed-scheduler.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { TickerOptions, TickerParts } from './ticker-options.js';

/**
 * When the log's hard ceiling drops events younger than `minAgeSeconds` (a flood, or a ceiling
 * set too low): the metric, and a warn line at most every 10 s with the count since the last.
 */
function hardCeilingReport(logger: Logger, metrics: Metrics, maxEventsHard: number) {
  let unreported = 0;
  let lastLogged = 0;
  return {
    dropped(n: number): void {
      metrics.hardDropped.inc(n);
      unreported += n;
      if (Date.now() - lastLogged < 10_000) return;
      lastLogged = Date.now();
      logger.warn({ dropped: unreported, maxEventsHard }, 'feed log at its hard ceiling: oldest events dropped before their minimum age');
      unreported = 0;
    },
  };
}

/** The worker role: the ingest worker appends queued changes to the log; the feed poller queues feed items. */
export async function startWorkerRole(p: TickerParts, o: TickerOptions): Promise<FeedScheduler> {
  const { started, connections, redis, keys, log, logger, metrics } = p;
  const ceiling = hardCeilingReport(logger.child({ part: 'retention' }), metrics, o.config.retention.maxEventsHard);
  const worker = createIngestWorker({
    connection: connections.connect('worker', 'worker'),
    log,
    logger: logger.child({ part: 'worker' }),
    prefix: keys.queuePrefix,
    concurrency: o.workerConcurrency,
    killAfterSeq: o.faultKillAfterSeq,
    failTextContaining: o.faultFailTextContaining,
    retryHorizonMs: o.retryHorizonMs,
    audit: p.audit,
    onFailed: ({ op }) => metrics.failed.inc({ op }),
    onAppended: ({ status, dueAt, hardDropped }) => {
      metrics.published.inc({ status });
      if (hardDropped > 0) ceiling.dropped(hardDropped);
      metrics.ingestLatency.observe(Math.max(0, Date.now() - dueAt) / 1000);
    },
  });
  // Stopped after the feeds (no new items are queued while it drains), before the queue.
  started.push({ name: 'worker', close: () => worker.close() });
  const feedLogger = logger.child({ part: 'feeds' });
  const poller = new FeedPoller({
    ingest: p.ingest,
    log,
    memory: new FeedMemory(redis, p.prefix),
    logger: feedLogger,
    metrics: createFeedMetrics(metrics.registry),
    limits: o.feedLimits,
  });
  const connection = { connection: redis, workerConnection: connections.connect('feeds', 'worker'), prefix: keys.queuePrefix };
  const scheduler = await createFeedScheduler({ ...connection, poller, logger: feedLogger }, o.config.feeds);
  started.push({ name: 'feeds', close: () => scheduler.close() });
  return scheduler;
}
