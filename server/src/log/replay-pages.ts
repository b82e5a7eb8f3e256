import { REPLAY_PAGE_MAX_BYTES, REPLAY_PAGE_MAX_EVENTS, type Headline } from '@headline-ticker/sdk/protocol';
import type { FeedLog } from './feed-log.js';
import type { LogEvent } from './log-event.js';

/** Recent events held in memory (the gateway's relay); null when it does not reach back to `seq`. */
export interface RecentEvents {
  recentAfter(seq: number): LogEvent[] | null;
}

export interface PageBounds {
  maxEvents: number;
  maxBytes: number;
  /** events looked at (matching or not) before a page ends anyway: bounds the work of a sparse filter */
  maxScan: number;
}

export const DEFAULT_PAGE_BOUNDS: PageBounds = {
  maxEvents: REPLAY_PAGE_MAX_EVENTS,
  // room for the envelope (`{"ok":true,…}` and the Socket.IO framing)
  maxBytes: REPLAY_PAGE_MAX_BYTES - 4096,
  maxScan: 5000,
};

export interface ReplayPage {
  headlines: Headline[];
  /** every event up to here was looked at: the next page continues after it */
  seq: number;
  /** the page ended before `upTo` */
  more: boolean;
  /** `since` is older than the retained log: no page, the caller answers with a snapshot */
  reset: boolean;
  /** JSON size of `headlines` */
  bytes: number;
}

const sizes = new WeakMap<Headline, number>();

/**
 * Bytes one event adds to a JSON page (its text and the comma). Measured once per headline
 * object: the relay's memory hands the same (never mutated) objects to every subscribe, so a
 * snapshot's byte bound does not serialise each headline again for every connection.
 */
export function jsonBytes(h: Headline): number {
  let n = sizes.get(h);
  if (n === undefined) {
    n = Buffer.byteLength(JSON.stringify(h)) + 1;
    sizes.set(h, n);
  }
  return n;
}

/**
 * A snapshot (oldest first) cut to the newest headlines that fit in `maxBytes`: bounded like a
 * replay page, and still the latest state (the oldest are the ones left out).
 */
export function newestWithin(headlines: Headline[], maxBytes: number = DEFAULT_PAGE_BOUNDS.maxBytes): Headline[] {
  let bytes = 0;
  for (let i = headlines.length - 1; i >= 0; i--) {
    bytes += jsonBytes(headlines[i]!);
    if (bytes > maxBytes) return headlines.slice(i + 1);
  }
  return headlines;
}

/**
 * One page of the matching events in (since, upTo]: from memory when it reaches back to
 * `since`, else from the log in batches. Never holds more than one page and one batch: a
 * replay of the whole retained log is many small answers, not one huge one.
 */
export async function replayPage(
  log: FeedLog,
  memory: RecentEvents | null,
  /** what the reader sees of an event (see log-event.ts viewOf): it, a withdrawal, or nothing */
  view: (ev: LogEvent) => Headline | null,
  since: number,
  upTo: number,
  bounds: PageBounds = DEFAULT_PAGE_BOUNDS,
  /** true once nobody waits for the page (the socket has gone): stop reading */
  abandoned: () => boolean = () => false,
): Promise<ReplayPage> {
  const headlines: Headline[] = [];
  let bytes = 0;
  let scanned = 0;
  let covered = since;
  /** false when the page is full before `h`: the page ends at `covered` */
  const take = (ev: LogEvent): boolean => {
    if (scanned >= bounds.maxScan) return false;
    const h = view(ev);
    if (h !== null) {
      const size = jsonBytes(h);
      if (headlines.length >= bounds.maxEvents || (headlines.length > 0 && bytes + size > bounds.maxBytes)) return false;
      headlines.push(h);
      bytes += size;
    }
    scanned++;
    covered = ev.h.seq;
    return true;
  };
  const full = (): ReplayPage => ({ headlines, seq: covered, more: true, reset: false, bytes });

  if (since >= upTo) return { headlines, seq: upTo, more: false, reset: false, bytes };
  const recent = memory?.recentAfter(since) ?? null;
  if (recent !== null) {
    for (const ev of recent) {
      if (ev.h.seq > upTo) break;
      if (!take(ev)) return full();
    }
    return { headlines, seq: upTo, more: false, reset: false, bytes };
  }
  const oldest = await log.oldestSeq();
  if (oldest === null || oldest > since + 1) return { headlines, seq: since, more: false, reset: true, bytes };
  while (covered < upTo) {
    if (abandoned()) return full();
    const batch = await log.range(covered, upTo, Math.min(500, bounds.maxScan));
    if (batch.length === 0 || abandoned()) break;
    for (const ev of batch) if (!take(ev)) return full();
  }
  return { headlines, seq: upTo, more: false, reset: false, bytes };
}
