// Feed polling metrics, registered on the registry the ticker gives (served at /metrics with the
// rest of that ticker's), so two tickers in one process (as in tests) count apart.
import { Counter, Gauge, type Registry } from 'prom-client';

export type FeedMetrics = ReturnType<typeof createFeedMetrics>;

export function createFeedMetrics(registry: Registry) {
  const registers = [registry];
  return {
    /** outcome: ingested | not_modified | failed | backoff | busy */
    polls: new Counter({
      name: 'ticker_feed_polls_total',
      help: 'Feed polls by feed and outcome',
      labelNames: ['feed', 'outcome'],
      registers,
    }),
    /** reason: a FeedFailureReason */
    failures: new Counter({
      name: 'ticker_feed_failures_total',
      help: 'Failed feed polls by feed and reason',
      labelNames: ['feed', 'reason'],
      registers,
    }),
    /** action: published | corrected | skipped (no title or no identity) */
    items: new Counter({
      name: 'ticker_feed_items_total',
      help: 'Feed items by feed and what became of them',
      labelNames: ['feed', 'action'],
      registers,
    }),
    consecutiveFailures: new Gauge({
      name: 'ticker_feed_consecutive_failures',
      help: 'Failed polls in a row, per feed (0 when healthy)',
      labelNames: ['feed'],
      registers,
      // Only one process polls; per core, the others report no feeds.
      aggregator: 'max',
    }),
  };
}
