// What a poll does with one item: publish it as a new headline, or correct the headline a
// retitled item was published as. Both go through the IngestQueue, the desk's path.
import { TickerError } from '@headline-ticker/sdk/protocol';
import { CorrectionInputSchema, HeadlineInputSchema } from '@headline-ticker/sdk/schemas';
import type { FeedConfig } from '../config/ticker-config.js';
import type { FeedLog } from '../log/feed-log.js';
import type { IngestQueue } from '../ingest/ingest-queue.js';
import type { Logger } from '../logger.js';
import { sha, type BacklogItem, type FeedMemory } from './feed-memory.js';
import { headlineTime } from './feed-read.js';

export interface ItemIngestDeps {
  ingest: IngestQueue;
  log: FeedLog;
  memory: FeedMemory;
  logger: Logger;
  /** how far in the future an item's own time may lie before the time first seen replaces it */
  futureSkewMs?: number;
}

/** An item that may be published: from this poll's document or from the backlog. */
export type Candidate = BacklogItem;

/** The editor name feed headlines are ingested under, e.g. "feed:wire". */
export const feedEditor = (feed: FeedConfig) => `feed:${feed.name}`;

/** Queues a new item as a headline and remembers it; false when it is not a valid headline. */
export async function publishItem(o: ItemIngestDeps, feed: FeedConfig, item: Candidate, titleHash: string, now: number): Promise<boolean> {
  const draft = HeadlineInputSchema.safeParse({
    text: item.text,
    ...(item.url ? { url: item.url } : {}),
    topics: feed.topics,
    symbols: feed.symbols,
    urgency: feed.urgency,
    lang: item.lang ?? 'en',
    source: feed.name,
    // The queue's idempotency key makes publishing an item twice impossible even when two
    // polls race, or a worker dies between queueing and remembering: same key, same headline.
    idempotencyKey: `feed-${sha(`${feed.name}\0${item.key}`, 40)}`,
  });
  if (!draft.success) {
    o.logger.warn(
      { feed: feed.name, key: item.key, issues: draft.error.issues.map((i) => i.message) },
      'feed item skipped: not a valid headline',
    );
    return false;
  }
  const time = headlineTime(item.publishedAt, now, o.futureSkewMs);
  if (time.fallback !== undefined) {
    o.logger.debug({ feed: feed.name, key: item.key, date: item.publishedAt, why: time.fallback }, 'feed item dated when first seen');
  }
  const accepted = await o.ingest.publish(draft.data, feedEditor(feed), time.publishedAt ? { publishedAt: time.publishedAt } : {});
  await o.memory.remember(feed.name, item.itemId, { id: accepted.id, titleHash });
  return true;
}

/** A retitled item: a correction of its headline, unless that headline is gone or withdrawn. */
export async function correctItem(
  o: ItemIngestDeps,
  feed: FeedConfig,
  item: { key: string; text: string; itemId: string },
  id: string,
  titleHash: string,
): Promise<boolean> {
  const { memory, log, logger } = o;
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
    await o.ingest.correct(id, changes, feedEditor(feed));
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
