// One poll of one feed: fetch → decode → parse → compare with memory → publish new items and
// correct retitled ones through the IngestQueue, the same path as the desk's flashes.
import type { FeedConfig } from '../config/ticker-config.js';
import type { FeedLog } from '../log/feed-log.js';
import type { IngestQueue } from '../ingest/ingest-queue.js';
import type { Logger } from '../logger.js';
import { FeedError, type FeedFailureReason } from './feed-error.js';
import { DEFAULT_FETCH_LIMITS, fetchFeed, type FetchLimits } from './feed-fetch.js';
import { sha, type FeedMemory } from './feed-memory.js';
import { correctItem, publishItem, type Candidate } from './feed-item-ingest.js';
import type { FeedMetrics } from './feed-metrics.js';
import { readFeed, usableItems } from './feed-read.js';
import type { FeedItem } from './parse-feed.js';

/** Items published from one feed in one poll unless the feed or the poller says otherwise. */
export const DEFAULT_MAX_ITEMS_PER_POLL = 50;

export type PollOutcome =
  /** fetched and compared: `published` and `corrected` say what came of it */
  | 'ingested'
  /** the server answered 304 */
  | 'not_modified'
  | 'failed'
  /** skipped: still backing off after failures */
  | 'backoff'
  /** skipped: another worker is polling this feed right now */
  | 'busy';

export interface PollResult {
  feed: string;
  outcome: PollOutcome;
  published: number;
  corrected: number;
  /** items without a title or without anything to remember them by */
  skipped: number;
  reason?: FeedFailureReason;
  error?: string;
}

export interface FeedPollerOptions {
  ingest: IngestQueue;
  log: FeedLog;
  memory: FeedMemory;
  logger: Logger;
  /** the ticker's feed metrics (createFeedMetrics on its registry) */
  metrics: FeedMetrics;
  limits?: Partial<FetchLimits>;
  /** longest wait between attempts of a failing feed (default 1 h, or its interval if longer) */
  maxBackoffMs?: number;
  /** new items published per poll of one feed when its config does not say (default 50) */
  maxItemsPerPoll?: number;
  /** how far in the future an item's own time may lie before the time first seen replaces it (default 5 min) */
  futureSkewMs?: number;
}

export class FeedPoller {
  readonly #o: FeedPollerOptions;
  readonly #limits: FetchLimits;
  /** aborts fetches in flight when the worker shuts down */
  readonly #stop = new AbortController();

  constructor(options: FeedPollerOptions) {
    this.#o = options;
    this.#limits = { ...DEFAULT_FETCH_LIMITS, ...options.limits };
  }

  /** Polls once. Never throws: a failure is logged, counted, remembered for backoff, and returned. */
  async poll(feed: FeedConfig, { force = false }: { force?: boolean } = {}): Promise<PollResult> {
    const result: PollResult = { feed: feed.name, outcome: 'ingested', published: 0, corrected: 0, skipped: 0 };
    const { memory, logger } = this.#o;
    let token: string | null = null;
    try {
      if (!force) {
        const state = await memory.failureState(feed.name);
        if (state.retryAt > Date.now()) return this.#done(result, 'backoff');
      }
      // Held at most as long as a fetch may take plus time to queue the items, so a worker that
      // dies mid-poll delays the next poll of that feed by seconds, not minutes.
      token = await memory.lock(feed.name, this.#limits.timeoutMs + 15_000);
      if (token === null) return this.#done(result, 'busy');

      const validators = await memory.validators(feed.name, feed.url);
      const res = await fetchFeed(feed.url, validators, this.#limits, this.#stop.signal);
      const backlog = await memory.backlog(feed.name);
      if (res.status === 'not_modified') {
        if (backlog.length > 0) await this.#ingest(feed, [], backlog, result);
        await this.#succeeded(feed);
        return this.#done(result, 'not_modified');
      }
      const parsed = readFeed(res.body, { contentType: res.contentType, baseUrl: res.finalUrl });
      const { usable, skipped } = usableItems(parsed.items);
      result.skipped += skipped;
      if (skipped > 0) this.#o.metrics.items.inc({ feed: feed.name, action: 'skipped' }, skipped);
      if (parsed.repairs.length > 0) logger.info({ feed: feed.name, repairs: parsed.repairs }, 'feed read with repairs');
      const fresh = usable.map((i): Candidate => ({ ...i, itemId: sha(i.key), ...(parsed.lang ? { lang: parsed.lang } : {}) }));
      await this.#ingest(feed, fresh, backlog, result);
      // Only now: validators saved before the items were queued could hide them behind a 304.
      await memory.saveValidators(feed.name, feed.url, res.validators);
      await this.#succeeded(feed);
      logger.info({ feed: feed.name, items: parsed.items.length, published: result.published, corrected: result.corrected }, 'feed polled');
      return this.#done(result, 'ingested');
    } catch (err) {
      return await this.#failed(feed, result, err);
    } finally {
      if (token !== null) await memory.unlock(feed.name, token).catch(() => undefined);
    }
  }

  /** A poll that threw: counted, remembered for backoff and logged, unless shutdown cut it short. */
  async #failed(feed: FeedConfig, result: PollResult, err: unknown): Promise<PollResult> {
    const { memory, logger } = this.#o;
    const reason: FeedFailureReason = err instanceof FeedError ? err.reason : 'ingest';
    result.reason = reason;
    result.error = (err as Error).message;
    // Cut short by shutdown: not the feed's fault, so no failure is counted against it.
    if (this.#stop.signal.aborted) return this.#done(result, 'failed');
    this.#o.metrics.failures.inc({ feed: feed.name, reason });
    const state = await memory
      .recordFailure(feed.name, (n) => this.#backoffMs(feed, n))
      .catch(() => ({ failures: Number.NaN, retryAt: 0 }));
    if (Number.isFinite(state.failures)) this.#o.metrics.consecutiveFailures.set({ feed: feed.name }, state.failures);
    logger.warn(
      {
        feed: feed.name,
        url: feed.url,
        reason,
        err: result.error,
        failures: state.failures,
        retryAt: new Date(state.retryAt).toISOString(),
      },
      'feed poll failed',
    );
    return this.#done(result, 'failed');
  }

  /** Aborts polls in flight (shutdown); later polls fail at once. */
  stop(): void {
    this.#stop.abort();
  }

  /**
   * After n failures in a row, wait about 2^(n-1) intervals: the first failure costs nothing,
   * then 1, 3, 7… scheduled polls are skipped, up to the cap. Half an interval of slack keeps a
   * scheduled poll that comes a little early from being skipped by mistake.
   */
  #backoffMs(feed: FeedConfig, failures: number): number {
    const interval = feed.intervalSeconds * 1000;
    const cap = Math.max(interval, this.#o.maxBackoffMs ?? 3600_000);
    return Math.min(interval * 2 ** Math.min(failures - 1, 20), cap) - interval / 2;
  }

  async #succeeded(feed: FeedConfig): Promise<void> {
    await this.#o.memory.recordSuccess(feed.name);
    this.#o.metrics.consecutiveFailures.set({ feed: feed.name }, 0);
  }

  #done(result: PollResult, outcome: PollOutcome): PollResult {
    result.outcome = outcome;
    this.#o.metrics.polls.inc({ feed: result.feed, outcome });
    return result;
  }

  async #ingest(feed: FeedConfig, fresh: Candidate[], backlog: Candidate[], result: PollResult): Promise<void> {
    const { memory, logger } = this.#o;
    const now = Date.now();
    // The backlog holds items a capped poll left for later; the feed may have dropped them since.
    const freshIds = new Set(fresh.map((i) => i.itemId));
    const candidates = [...fresh, ...backlog.filter((i) => !freshIds.has(i.itemId))];
    const known = await memory.recall(
      feed.name,
      candidates.map((i) => i.itemId),
    );
    const timeOf = (i: FeedItem) => (i.publishedAt ? Date.parse(i.publishedAt) : now);

    // Newest first up to the cap, so a runaway feed cannot flood the log; the rest wait for the
    // next polls (remembered in Redis, so a 304 cannot hide them). Feeds list newest first, so
    // undated items keep their document order under the stable sort.
    const unseen = candidates.filter((i) => !known.has(i.itemId)).sort((a, b) => timeOf(b) - timeOf(a));
    const cap = feed.maxItemsPerPoll ?? this.#o.maxItemsPerPoll ?? DEFAULT_MAX_ITEMS_PER_POLL;
    const taken = unseen.slice(0, cap);
    const left = unseen.slice(cap);
    if (left.length > 0 || backlog.length > 0) await memory.saveBacklog(feed.name, left);
    if (left.length > 0)
      logger.info(
        { feed: feed.name, taken: taken.length, left: left.length },
        'feed items over the per-poll cap: the rest follow on the next polls',
      );

    // Oldest first, so the log follows the items' own times.
    for (const item of taken.reverse()) {
      if (await publishItem(this.#o, feed, item, sha(item.text, 16), now)) result.published++;
      else result.skipped++;
    }
    for (const item of fresh) {
      const before = known.get(item.itemId);
      const titleHash = sha(item.text, 16);
      if (before !== undefined && before.titleHash !== titleHash) {
        if (await correctItem(this.#o, feed, item, before.id, titleHash)) result.corrected++;
      }
    }
    await memory.touch(
      feed.name,
      fresh.map((i) => i.itemId),
      now,
    );
    if (result.published > 0) this.#o.metrics.items.inc({ feed: feed.name, action: 'published' }, result.published);
    if (result.corrected > 0) this.#o.metrics.items.inc({ feed: feed.name, action: 'corrected' }, result.corrected);
  }
}
