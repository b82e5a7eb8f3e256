// One BullMQ job scheduler per configured feed, in its own queue, and the worker that runs the
// polls. Jobs carry only the feed's name: the worker looks the feed up in the current config,
// so a reload takes effect at the next poll.
import { Queue, Worker, type Job } from 'bullmq';
import type { RedisClient } from '../redis/connection.js';
import type { FeedConfig } from '../config/ticker-config.js';
import type { Logger } from '../logger.js';
import type { FeedPoller, PollResult } from './feed-poller.js';

export const FEEDS_QUEUE = 'feeds';

export interface FeedSchedulerOptions {
  /** fail-fast connection for the queue (scheduler upserts) */
  connection: RedisClient;
  /** blocking connection for the worker */
  workerConnection: RedisClient;
  /** BullMQ prefix */
  prefix: string;
  poller: FeedPoller;
  logger: Logger;
}

interface PollJobData {
  feed: string;
}

const schedulerId = (name: string) => `feed-${encodeURIComponent(name)}`;

/**
 * Builds the scheduler, makes its schedules match `feeds` and starts running polls. Its `close()`
 * is idempotent; a start that fails half-way closes what it opened.
 */
export async function createFeedScheduler(options: FeedSchedulerOptions, feeds: FeedConfig[]): Promise<FeedScheduler> {
  const scheduler = new FeedScheduler(options);
  try {
    await scheduler.sync(feeds);
  } catch (err) {
    await scheduler.close();
    throw err;
  }
  scheduler.start();
  return scheduler;
}

export class FeedScheduler {
  readonly queue: Queue<PollJobData>;
  readonly #worker: Worker<PollJobData, PollResult | null>;
  readonly #o: FeedSchedulerOptions;
  #feeds = new Map<string, FeedConfig>();
  /** per feed, the poll running in this process: polls of one feed run one after another */
  readonly #running = new Map<string, Promise<PollResult>>();
  #closing: Promise<void> | null = null;

  constructor(options: FeedSchedulerOptions) {
    this.#o = options;
    this.queue = new Queue<PollJobData>(FEEDS_QUEUE, { connection: options.connection, prefix: options.prefix });
    this.queue.on('error', (err) => options.logger.debug({ err: err.message }, 'feeds queue error'));
    this.#worker = new Worker<PollJobData, PollResult | null>(FEEDS_QUEUE, (job) => this.#process(job), {
      connection: options.workerConnection,
      prefix: options.prefix,
      // Feeds are independent: a slow or hanging one must not hold the others up.
      concurrency: 4,
      autorun: false,
    });
    this.#worker.on('error', (err) => options.logger.warn({ err: err.message }, 'feeds worker error'));
  }

  /** Starts running polls; call after the first sync. */
  start(): void {
    // Runs until close(): its end is only ever an error to log.
    void this.#worker.run().catch((err: unknown) => this.#o.logger.error({ err: (err as Error).message }, 'feeds worker stopped'));
  }

  /**
   * Makes the schedules match the config: new feeds get one (their first poll runs at once),
   * changed intervals are rescheduled, removed feeds lose theirs. Idempotent.
   */
  async sync(feeds: FeedConfig[]): Promise<void> {
    this.#feeds = new Map(feeds.map((f) => [f.name, f]));
    const wanted = new Map(feeds.map((f) => [schedulerId(f.name), f]));
    const existing = await this.queue.getJobSchedulers(0, -1);
    for (const s of existing) {
      if (!wanted.has(s.key)) {
        await this.queue.removeJobScheduler(s.key);
        this.#o.logger.info({ scheduler: s.key }, 'feed removed: no more polls');
      }
    }
    const everyOf = new Map(existing.map((s) => [s.key, s.every]));
    for (const [id, feed] of wanted) {
      const every = feed.intervalSeconds * 1000;
      if (everyOf.get(id) === every) continue;
      await this.queue.upsertJobScheduler(
        id,
        { every },
        { name: 'poll', data: { feed: feed.name }, opts: { removeOnComplete: { count: 50 }, removeOnFail: { count: 50 } } },
      );
      this.#o.logger.info({ feed: feed.name, intervalSeconds: feed.intervalSeconds }, 'feed scheduled');
    }
  }

  /** Polls a configured feed now, regardless of its schedule and backoff (tools and tests). */
  pollNow(name: string): Promise<PollResult> {
    const feed = this.#feeds.get(name);
    if (feed === undefined) return Promise.reject(new Error(`no feed named ${JSON.stringify(name)} in the config`));
    return this.#serial(feed, true);
  }

  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      // Hanging feeds must not hold shutdown up for their full timeout.
      this.#o.poller.stop();
      await this.#worker.close().catch(() => undefined);
      await Promise.allSettled(this.#running.values());
      await this.queue.close().catch(() => undefined);
    })());
  }

  async #process(job: Job<PollJobData>): Promise<PollResult | null> {
    const feed = this.#feeds.get(job.data.feed);
    // A job queued before the feed left the config.
    if (feed === undefined) return null;
    return this.#serial(feed, false);
  }

  #serial(feed: FeedConfig, force: boolean): Promise<PollResult> {
    const previous = this.#running.get(feed.name) ?? Promise.resolve(null);
    const next = previous.catch(() => null).then(() => this.#o.poller.poll(feed, { force }));
    this.#running.set(feed.name, next);
    void next
      .finally(() => {
        if (this.#running.get(feed.name) === next) this.#running.delete(feed.name);
      })
      .catch(() => undefined);
    return next;
  }
}
