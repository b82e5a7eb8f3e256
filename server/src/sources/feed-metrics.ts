// Feed polling metrics on prom-client's default registry (served at /metrics by the app).
// Looked up before created, so loading this module twice (tests, hot reload) cannot throw.
import { Counter, Gauge, register } from 'prom-client';

function counter(name: string, help: string, labelNames: string[]): Counter<string> {
  return (register.getSingleMetric(name) as Counter<string> | undefined) ?? new Counter({ name, help, labelNames });
}
function gauge(name: string, help: string, labelNames: string[]): Gauge<string> {
  return (register.getSingleMetric(name) as Gauge<string> | undefined) ?? new Gauge({ name, help, labelNames });
}

export const feedMetrics = {
  /** outcome: ingested | not_modified | failed | backoff | busy */
  polls: counter('ticker_feed_polls_total', 'Feed polls by feed and outcome', ['feed', 'outcome']),
  /** reason: a FeedFailureReason */
  failures: counter('ticker_feed_failures_total', 'Failed feed polls by feed and reason', ['feed', 'reason']),
  /** action: published | corrected | skipped (no title or no identity) */
  items: counter('ticker_feed_items_total', 'Feed items by feed and what became of them', ['feed', 'action']),
  consecutiveFailures: gauge('ticker_feed_consecutive_failures', 'Failed polls in a row, per feed (0 when healthy)', ['feed']),
};
