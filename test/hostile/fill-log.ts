import type { Redis } from 'ioredis';
import { feedKeys } from '../../server/src/log/feed-keys.js';
import { FeedLog, type UnsequencedEvent } from '../../server/src/log/feed-log.js';

const TEXT = 'Brent crude rises as OPEC+ weighs deeper cuts; traders watch inventories and the dollar closely today';

export function eventOf(i: number, topic = 'energy'): UnsequencedEvent {
  const now = new Date().toISOString();
  return {
    id: `h-fill-${i}`,
    version: 1,
    status: 'published',
    text: `${TEXT} #${i}`,
    summary: 'A summary long enough that thirty thousand events weigh about ten megabytes on the wire, as in the issue.',
    topics: [topic],
    symbols: ['BRN'],
    urgency: 'routine',
    lang: 'en',
    source: 'desk',
    publishedAt: now,
    updatedAt: now,
  };
}

/** Appends `n` events straight to the log (in batches, pipelined): a backlog without the queue. */
export async function fillLog(redis: Redis, n: number, { prefix = 'ticker', from = 0 } = {}): Promise<void> {
  const log = new FeedLog(redis, feedKeys(prefix), { maxEvents: 1_000_000, minAgeSeconds: 7 * 24 * 3600 });
  for (let start = from; start < from + n; start += 1000) {
    const batch: Promise<unknown>[] = [];
    for (let i = start; i < Math.min(from + n, start + 1000); i++) {
      batch.push(log.append({ opId: `fill-${i}`, expectedVersion: 0, event: eventOf(i) }));
    }
    await Promise.all(batch);
  }
}
