// What the ticker would publish from a feed, without publishing: the poller's own path (fetch,
// decode, parse, usable items, settled times), for an operator to vet a feed before adding it.
import { readFile } from 'node:fs/promises';
import { FeedError } from './feed-error.js';
import { fetchFeed } from './feed-fetch.js';
import { headlineTime, readFeed, usableItems } from './feed-read.js';
import type { FeedFormat } from './parse-feed.js';

export interface CheckedItem {
  text: string;
  url: string | null;
  guid: string | null;
  /** the headline's time; null when it would be the time the item is first seen */
  publishedAt: string | null;
}

export interface CheckResult {
  input: string;
  ok: boolean;
  format: FeedFormat | null;
  items: CheckedItem[];
  error: { code: string; message: string } | null;
}

export interface CheckOptions {
  /** the Content-Type to read the bytes under (a file has none; a URL's own is used otherwise) */
  contentType?: string | null;
  /** the URL relative links resolve against (a URL input defaults to where it was fetched from) */
  baseUrl?: string;
  /** the clock, for the future-date check */
  now?: number;
}

/** Checks bytes as if a poll had just fetched them. Never throws. */
export function checkFeedBytes(input: string, bytes: Uint8Array, o: CheckOptions = {}): CheckResult {
  try {
    const feed = readFeed(bytes, { contentType: o.contentType ?? null, ...(o.baseUrl !== undefined ? { baseUrl: o.baseUrl } : {}) });
    const now = o.now ?? Date.now();
    const items = usableItems(feed.items).usable.map((i) => ({
      text: i.text,
      url: i.url ?? null,
      guid: i.guid ?? null,
      publishedAt: headlineTime(i.publishedAt, now).publishedAt ?? null,
    }));
    return { input, ok: true, format: feed.format, items, error: null };
  } catch (err) {
    return failed(input, err);
  }
}

/** Checks a file path or an http(s) URL. Never throws. */
export async function checkFeed(input: string, o: CheckOptions = {}): Promise<CheckResult> {
  if (/^https?:\/\//iu.test(input)) {
    try {
      const res = await fetchFeed(input, {});
      if (res.status !== 'ok') throw new FeedError('http_status', 'HTTP 304 to an unconditional request');
      return checkFeedBytes(input, res.body, { ...o, contentType: o.contentType ?? res.contentType, baseUrl: o.baseUrl ?? res.finalUrl });
    } catch (err) {
      return failed(input, err);
    }
  }
  let bytes: Uint8Array;
  try {
    bytes = await readFile(input);
  } catch (err) {
    return { input, ok: false, format: null, items: [], error: { code: 'unreadable', message: (err as Error).message } };
  }
  return checkFeedBytes(input, bytes, o);
}

function failed(input: string, err: unknown): CheckResult {
  const code = err instanceof FeedError ? err.reason : 'ingest';
  return { input, ok: false, format: null, items: [], error: { code, message: (err as Error).message } };
}
