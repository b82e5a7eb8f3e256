// The log's reads that walk many entries: what a delayed key may see as of a time, a replay after
// a position, the latest matching headlines. FeedLog (feed-log.ts) offers them as methods.
import type { Headline } from '@headline-ticker/sdk/protocol';
import type { RedisClient } from '../redis/connection.js';
import type { FeedKeys } from './feed-keys.js';
import { logEventOf, seqOf, type Entry } from './log-entries.js';
import type { LogEvent } from './log-event.js';
import type { ReadAfterResult } from './log-types.js';

/**
 * The seq of the last event appended at or before `timeMs` (looking back from `upTo`): what a
 * key delayed to that time may see. 0 when nothing retained is that old.
 */
export async function seqAsOf(redis: RedisClient, keys: FeedKeys, timeMs: number, upTo: number): Promise<number> {
  let end = `${upTo}-0`;
  for (;;) {
    const entries = (await redis.xrevrange(keys.log, end, '-', 'COUNT', 500)) as Entry[];
    if (entries.length === 0) return 0;
    for (const entry of entries) {
      const f = entry[1];
      for (let j = 0; j < f.length; j += 2) {
        if (f[j] === 't' && Number(f[j + 1]) <= timeMs) return seqOf(entry);
      }
    }
    const oldest = entries[entries.length - 1]!;
    if (entries.length < 500) return seqOf(oldest) - 1;
    end = `(${oldest[0]}`;
  }
}

/**
 * What `view` shows of every event after `since`, in seq order, at most `limit`, reading no
 * further than `upTo`. `reset` when events after `since` have already left the log.
 */
export async function readAfter(
  log: { oldestSeq(): Promise<number | null>; range(after: number, upTo: number, count: number): Promise<LogEvent[]> },
  since: number,
  view: (ev: LogEvent) => Headline | null,
  limit: number,
  upTo: number,
): Promise<ReadAfterResult> {
  if (since >= upTo) return { headlines: [], seq: upTo, reset: false };
  const oldest = await log.oldestSeq();
  if (oldest === null || oldest > since + 1) return { headlines: [], seq: since, reset: true };
  const out: Headline[] = [];
  let cursor = since;
  while (cursor < upTo) {
    const batch = await log.range(cursor, upTo, 500);
    if (batch.length === 0) break;
    for (const ev of batch) {
      cursor = ev.h.seq;
      const h = view(ev);
      if (h !== null) {
        out.push(h);
        if (out.length >= limit) return { headlines: out, seq: cursor, reset: false };
      }
    }
  }
  return { headlines: out, seq: upTo, reset: false };
}

/**
 * The latest `limit` headlines that match, each in its current version, withdrawn ones left
 * out, as of `upTo`; in seq order. Looks back over at most `maxScan` events.
 */
export async function snapshot(
  redis: RedisClient,
  keys: FeedKeys,
  matches: (h: Headline) => boolean,
  limit: number,
  upTo: number,
  maxScan: number,
): Promise<Headline[]> {
  const seen = new Set<string>();
  const found: Headline[] = [];
  let end = `${upTo}-0`;
  let scanned = 0;
  while (found.length < limit && scanned < maxScan) {
    const entries = (await redis.xrevrange(keys.log, end, '-', 'COUNT', 500)) as Entry[];
    if (entries.length === 0) break;
    for (const entry of entries) {
      scanned++;
      const { h } = logEventOf(entry);
      if (seen.has(h.id)) continue;
      seen.add(h.id);
      if (h.status !== 'withdrawn' && matches(h)) {
        found.push(h);
        if (found.length >= limit) break;
      }
    }
    const last = entries[entries.length - 1]!;
    end = `(${last[0]}`;
  }
  return found.reverse();
}
