/**
 * Whether a gateway takes new connections. Its event loop's lag (measured by the backpressure
 * check) says it is behind: accepting a reconnect storm on top would stall every client it
 * already serves, so new ones are sent away with a hint to retry later (or at another gateway).
 */
export interface OverloadOptions {
  /** event-loop lag above which new connections are refused (default 1,000 ms: a burst of work or a GC pause of a few hundred ms is not overload) */
  maxLagMs?: number;
  /** the shortest retry hint (default 1,000 ms); the hint grows with the lag, up to 10 s */
  minRetryMs?: number;
}

export const DEFAULT_MAX_CONNECT_LAG_MS = 1000;

/** ms to wait before retrying, or null when a new connection may be admitted. */
export function overloadCheck(lagMs: () => number, options: OverloadOptions = {}): () => number | null {
  const maxLag = options.maxLagMs ?? DEFAULT_MAX_CONNECT_LAG_MS;
  const minRetry = options.minRetryMs ?? 1000;
  return () => {
    const lag = lagMs();
    if (lag <= maxLag) return null;
    return Math.min(10_000, Math.max(minRetry, Math.round(lag * 4)));
  };
}
