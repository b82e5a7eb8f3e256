// Bytes → the items the ticker would publish: decode, parse, keep the usable items, settle each
// one's time. One path for the poller and for `check-feed`, so what an operator vets is what runs.
import { decodeFeed } from './feed-charset.js';
import { parseFeed, type FeedItem, type ParsedFeed } from './parse-feed.js';

export interface ReadFeedOptions {
  /** the HTTP Content-Type (its charset is one of the claims weighed) */
  contentType?: string | null;
  /** the URL the feed came from, for relative links */
  baseUrl?: string;
}

export interface ReadFeed extends ParsedFeed {
  /** the charset the bytes were read in */
  charset: string;
}

/** Throws FeedError('invalid_encoding' | 'invalid_xml' | 'not_a_feed'). */
export function readFeed(bytes: Uint8Array, o: ReadFeedOptions = {}): ReadFeed {
  const decoded = decodeFeed(bytes, o.contentType);
  return { ...parseFeed(decoded.text, o.baseUrl === undefined ? {} : { baseUrl: o.baseUrl }), charset: decoded.charset };
}

export type UsableItem = FeedItem & { key: string; text: string };

/**
 * The items that can become headlines, in document order: each with a title and something to
 * remember it by, the first of any repeated key. `skipped` counts the rest.
 */
export function usableItems(items: FeedItem[]): { usable: UsableItem[]; skipped: number } {
  const keys = new Set<string>();
  const usable: UsableItem[] = [];
  let skipped = 0;
  for (const item of items) {
    if (item.key === null || item.text === null || keys.has(item.key)) {
      skipped++;
      continue;
    }
    keys.add(item.key);
    usable.push({ ...item, key: item.key, text: item.text });
  }
  return { usable, skipped };
}

/** How far ahead of the clock an item's own time may be before it is taken for a mistake. */
export const DEFAULT_FUTURE_SKEW_MS = 5 * 60_000;

export type TimeFallback = 'undated' | 'future';

/**
 * The time a headline is published under: the item's own, unless it has none or names a time
 * beyond `skewMs` in the future (a wrong zone, a typo, an embargo); then the time it was first
 * seen (`publishedAt` absent), and `fallback` says why so the caller can log it.
 */
export function headlineTime(
  publishedAt: string | undefined,
  now: number,
  skewMs = DEFAULT_FUTURE_SKEW_MS,
): { publishedAt?: string; fallback?: TimeFallback } {
  if (publishedAt === undefined) return { fallback: 'undated' };
  const t = Date.parse(publishedAt);
  if (t > now + skewMs) return { fallback: 'future' };
  // Within the skew: the publisher's clock runs a little ahead; a headline is never dated after
  // the moment it is published.
  return { publishedAt: t > now ? new Date(now).toISOString() : publishedAt };
}
