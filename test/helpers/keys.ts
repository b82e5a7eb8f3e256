import { feedKeys, type FeedKeys } from '../../server/src/log/feed-keys.js';

export interface TestKeys extends FeedKeys {
  /** a feed source's memory: `items`, `seen`, `http`, `state`, `lock` */
  source(feed: string, what: 'items' | 'seen' | 'http' | 'state' | 'lock'): string;
  /** a BullMQ key of a queue, e.g. `queue('ingest', 'delayed')` */
  queue(name: string, suffix: string): string;
}

/** The Redis key names a ticker under `prefix` uses, so tests never spell `'ticker:seq'` by hand. */
export function testKeys(prefix = 'ticker'): TestKeys {
  const keys = feedKeys(prefix);
  return {
    ...keys,
    source: (feed, what) => `${prefix}:feeds:${encodeURIComponent(feed)}:${what}`,
    queue: (name, suffix) => `${keys.queuePrefix}:${name}:${suffix}`,
  };
}
