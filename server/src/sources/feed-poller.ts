// One poll of one feed: fetch → decode → parse → compare with memory → publish new items and
// correct retitled ones through the IngestQueue, the same path as the desk's flashes.
import { TickerError } from '@headline-ticker/sdk/protocol';
import { CorrectionInputSchema, HeadlineInputSchema } from '@headline-ticker/sdk/schemas';
import type { FeedConfig } from '../config/ticker-config.js';
import type { FeedLog } from '../log/feed-log.js';
import type { IngestQueue } from '../ingest/ingest-queue.js';
import type { Logger } from '../logger.js';
import { decodeFeed } from './feed-charset.js';
import { FeedError, type FeedFailureReason } from './feed-error.js';
import { DEFAULT_FETCH_LIMITS, fetchFeed, type FetchLimits } from './feed-fetch.js';
import { sha, type FeedMemory } from './feed-memory.js';
import { feedMetrics } from './feed-metrics.js';
import { parseFeed, type FeedItem, type ParsedFeed } from './parse-feed.js';

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
  limits?: Partial<FetchLimits>;
  /** longest wait between attempts of a failing feed (default 1 h, or its interval if longer) */
  maxBackoffMs?: number;
}

/** The editor name feed headlines are ingested under, e.g. "feed:wire". */
export const feedEditor = (feed: FeedConfig) => `feed:${feed.name}`;

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
      if (res.status === 'not_modified') {
        await this.#succeeded(feed);
        return this.#done(result, 'not_modified');
      }
      const parsed = parseFeed(decodeFeed(res.body, res.contentType).text, { baseUrl: res.finalUrl });
      await this.#ingest(feed, parsed, result);
      // Only now: validators saved before the items were queued could hide them behind a 304.
      await memory.saveValidators(feed.name, feed.url, res.validators);
      await this.#succeeded(feed);
      logger.info({ feed: feed.name, items: parsed.items.length, published: result.published, corrected: result.corrected }, 'feed polled');
      return this.#done(result, 'ingested');
    } catch (err) {
      const reason: FeedFailureReason = err instanceof FeedError ? err.reason : 'ingest';
      result.reason = reason;
      result.error = (err as Error).message;
      // Cut short by shutdown: not the feed's fault, so no failure is counted against it.
      if (this.#stop.signal.aborted) return this.#done(result, 'failed');
      feedMetrics.failures.inc({ feed: feed.name, reason });
      const state = await memory
        .recordFailure(feed.name, (n) => this.#backoffMs(feed, n))
        .catch(() => ({ failures: Number.NaN, retryAt: 0 }));
      if (Number.isFinite(state.failures)) feedMetrics.consecutiveFailures.set({ feed: feed.name }, state.failures);
      logger.warn(
        { feed: feed.name, url: feed.url, reason, err: result.error, failures: state.failures, retryAt: new Date(state.retryAt).toISOString() },
        'feed poll failed',
      );
      return this.#done(result, 'failed');
    } finally {
      if (token !== null) await memory.unlock(feed.name, token).catch(() => undefined);
    }
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
    feedMetrics.consecutiveFailures.set({ feed: feed.name }, 0);
  }

  #done(result: PollResult, outcome: PollOutcome): PollResult {
    result.outcome = outcome;
    feedMetrics.polls.inc({ feed: result.feed, outcome });
    return result;
  }

  async #ingest(feed: FeedConfig, parsed: ParsedFeed, result: PollResult): Promise<void> {
    const { memory } = this.#o;
    const now = Date.now();
    const usable: (FeedItem & { key: string; text: string; itemId: string })[] = [];
    const ids = new Set<string>();
    for (const item of parsed.items) {
      const itemId = item.key === null ? '' : sha(item.key);
      // No title, nothing to remember it by, or a repeat of an item above it in the same document.
      if (item.key === null || item.text === null || ids.has(itemId)) {
        result.skipped++;
        continue;
      }
      ids.add(itemId);
      usable.push({ ...item, key: item.key, text: item.text, itemId });
    }
    if (result.skipped > 0) feedMetrics.items.inc({ feed: feed.name, action: 'skipped' }, result.skipped);
    // Oldest first, so the log follows the items' own times. Feeds list newest first, so
    // reversing first keeps undated items in a sensible order under the stable sort.
    const timeOf = (i: FeedItem) => (i.publishedAt ? Date.parse(i.publishedAt) : now);
    const ordered = usable.reverse().sort((a, b) => timeOf(a) - timeOf(b));
    const known = await memory.recall(feed.name, ordered.map((i) => i.itemId));

    for (const item of ordered) {
      const titleHash = sha(item.text, 16);
      const before = known.get(item.itemId);
      if (before === undefined) {
        if (await this.#publish(feed, parsed, item, titleHash, now)) result.published++;
        else result.skipped++;
      } else if (before.titleHash !== titleHash) {
        if (await this.#correct(feed, item, before.id, titleHash)) result.corrected++;
      }
    }
    await memory.touch(feed.name, ordered.map((i) => i.itemId), now);
    if (result.published > 0) feedMetrics.items.inc({ feed: feed.name, action: 'published' }, result.published);
    if (result.corrected > 0) feedMetrics.items.inc({ feed: feed.name, action: 'corrected' }, result.corrected);
  }

  async #publish(
    feed: FeedConfig,
    parsed: ParsedFeed,
    item: FeedItem & { key: string; text: string; itemId: string },
    titleHash: string,
    now: number,
  ): Promise<boolean> {
    const draft = HeadlineInputSchema.safeParse({
      text: item.text,
      ...(item.url ? { url: item.url } : {}),
      topics: feed.topics,
      symbols: feed.symbols,
      urgency: feed.urgency,
      lang: parsed.lang ?? 'en',
      source: feed.name,
      // The queue's idempotency key makes publishing an item twice impossible even when two
      // polls race, or a worker dies between queueing and remembering: same key, same headline.
      idempotencyKey: `feed-${sha(`${feed.name}\0${item.key}`, 40)}`,
    });
    if (!draft.success) {
      this.#o.logger.warn({ feed: feed.name, key: item.key, issues: draft.error.issues.map((i) => i.message) }, 'feed item skipped: not a valid headline');
      return false;
    }
    // An item dated in the future (a wrong zone, a typo) is published as of now.
    const publishedAt = item.publishedAt && Date.parse(item.publishedAt) <= now ? item.publishedAt : undefined;
    const accepted = await this.#o.ingest.publish(draft.data, feedEditor(feed), publishedAt ? { publishedAt } : {});
    await this.#o.memory.remember(feed.name, item.itemId, { id: accepted.id, titleHash });
    return true;
  }

  /** A retitled item: a correction of its headline, unless that headline is gone or withdrawn. */
  async #correct(feed: FeedConfig, item: { key: string; text: string; itemId: string }, id: string, titleHash: string): Promise<boolean> {
    const { memory, log, logger } = this.#o;
    const current = await log.current(id);
    // Not in the log: still queued (try again next poll) or retired by retention (nothing to fix).
    if (current === null) return false;
    if (current.status === 'withdrawn' || current.text === item.text) {
      // Withdrawn by an editor: a feed's retitling does not bring it back. Same text: done before.
      await memory.remember(feed.name, item.itemId, { id, titleHash });
      return false;
    }
    const changes = CorrectionInputSchema.parse({ text: item.text, idempotencyKey: `feedfix-${sha(`${item.key}\0${titleHash}`, 40)}` });
    try {
      await this.#o.ingest.correct(id, changes, feedEditor(feed));
    } catch (err) {
      if (err instanceof TickerError && err.code === 'conflict') {
        logger.info({ feed: feed.name, id }, 'feed correction deferred: headline not out yet');
        return false;
      }
      throw err;
    }
    await memory.remember(feed.name, item.itemId, { id, titleHash });
    return true;
  }
}
