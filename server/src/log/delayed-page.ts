import type { Headline } from '@headline-ticker/sdk/protocol';
import { delayedEvents } from './delayed-view.js';
import type { FeedLog } from './feed-log.js';
import type { LogEvent } from './log-event.js';
import { jsonBytes, type PageBounds } from './replay-pages.js';

export interface DelayedPage {
  headlines: Headline[];
  /** every event up to here was looked at: the next page continues after it */
  seq: number;
  /** `since` is older than the retained log */
  reset: boolean;
}

const at = (h: Headline) => Date.parse(h.updatedAt);

/**
 * How many of `events` (a stretch read from the log, not reaching the horizon) are settled: no
 * event after the stretch can overtake them, because anything that could (made within the delay
 * of one of them) is in the stretch. Event times follow the log's order.
 */
function settledCount(events: readonly LogEvent[], delayMs: number): number {
  const last = at(events.at(-1)!.h);
  let n = 0;
  while (n < events.length && at(events[n]!.h) + delayMs <= last) n++;
  return n;
}

/** The page `view` makes of `released`: bounded by events and bytes; `full` when it ended early at `seq`. */
function pageOf(released: readonly LogEvent[], view: (ev: LogEvent) => Headline | null, bounds: PageBounds) {
  const headlines: Headline[] = [];
  let bytes = 0;
  for (const ev of released) {
    const h = view(ev);
    if (h === null) continue;
    const size = jsonBytes(h);
    if (headlines.length >= bounds.maxEvents || (headlines.length > 0 && bytes + size > bounds.maxBytes)) {
      return { headlines, full: true, seq: headlines.at(-1)!.seq };
    }
    headlines.push(h);
    bytes += size;
  }
  return { headlines, full: false, seq: 0 };
}

/**
 * One page of a delayed key's replay after `since`, up to its horizon `upTo`: the latest state
 * of each headline as its delay line releases it (delayed-view.ts). Bounded like replayPage: it
 * reads at most `maxScan` events (in batches, stopping once the page is full), and a page ends
 * where what is read stops telling what overtook what; `later` (the events after the horizon)
 * decides for the last stretch. Should more than `maxScan` events fall within one delay, the
 * page is taken from what was read (an event overtaken only beyond it may then be shown).
 */
export async function delayedPage(
  log: FeedLog,
  view: (ev: LogEvent) => Headline | null,
  since: number,
  upTo: number,
  later: readonly LogEvent[],
  delayMs: number,
  bounds: PageBounds,
): Promise<DelayedPage> {
  if (since >= upTo) return { headlines: [], seq: upTo, reset: false };
  const oldest = await log.oldestSeq();
  if (oldest === null || oldest > since + 1) return { headlines: [], seq: since, reset: true };
  const events: LogEvent[] = [];
  // batches small enough that a page which fills early reads little more than it needs
  const size = Math.min(500, Math.max(1, Math.ceil(bounds.maxScan / 4)));
  for (;;) {
    const batch = await log.range(events.at(-1)?.h.seq ?? since, upTo, size);
    events.push(...batch);
    const end = batch.length < size || events.at(-1)!.h.seq >= upTo;
    if (events.length === 0) return { headlines: [], seq: upTo, reset: false };
    const settled = end ? events.length : settledCount(events, delayMs);
    const scanned = events.length >= bounds.maxScan;
    const take = scanned && settled === 0 ? events.length : settled;
    const after = end ? later : events.slice(take);
    const page = pageOf(delayedEvents(events.slice(0, take), after, delayMs), view, bounds);
    if (page.full) return { headlines: page.headlines, seq: page.seq, reset: false };
    if (end) return { headlines: page.headlines, seq: upTo, reset: false };
    if (scanned) return { headlines: page.headlines, seq: events[take - 1]!.h.seq, reset: false };
  }
}
