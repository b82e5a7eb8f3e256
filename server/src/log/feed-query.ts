import { REPLAY_PAGE_MAX_EVENTS, SINCE_AHEAD, TickerError, type Headline } from '@headline-ticker/sdk/protocol';
import { delayedPage } from './delayed-page.js';
import { nextEventTimes, overtaken } from './delayed-view.js';
import type { FeedLog } from './feed-log.js';
import { viewOf, type LogEvent } from './log-event.js';
import { DEFAULT_PAGE_BOUNDS, newestWithin, replayPage, type RecentEvents } from './replay-pages.js';
import { matches, type Subscription } from './subscription.js';

export const DEFAULT_SNAPSHOT_LIMIT = 20;
/** How many events after a delayed key's horizon are read to learn what overtook what. */
const MAX_LOOKAHEAD = 100_000;

/** `since` beyond the feed: a bad request whose details let a resuming client tell a restarted feed. */
export function sinceAhead(since: number, head: number): TickerError {
  return new TickerError('bad_request', `since ${since} is ahead of the feed (last seq ${head})`, {
    details: { reason: SINCE_AHEAD, seq: head },
  });
}

export interface FeedQuery {
  since?: number | undefined;
  limit?: number | undefined;
  /** answer as of this seq */
  upTo: number;
  /** a delayed key: its delay, and the log's head (events after `upTo` tell what overtook what) */
  delayed?: { delaySeconds: number; head: number } | undefined;
  /** recent events in memory (a gateway's relay): a delayed key's lookahead comes from there when it reaches back */
  memory?: RecentEvents | null | undefined;
}

export interface FeedAnswer {
  headlines: Headline[];
  /** complete up to this seq: live delivery (or the next page) continues after it */
  seq: number;
  reset?: true;
}

/** What a subscription sees of one event: it, a withdrawal of the version it saw, or nothing. */
export const viewFor = (sub: Subscription) => (ev: LogEvent) => viewOf(ev, (h) => matches(sub, h));

/**
 * What a subscription sees of the log: with `since`, the matching events after it, one bounded
 * page (a replay: `seq` below `upTo` says where the next page starts); without, the latest
 * matching headlines (a snapshot). A `since` that fell out of the log gets
 * a snapshot and `reset`. Shared by history (REST) and subscribe (socket), so they agree.
 */
export async function queryFeed(log: FeedLog, sub: Subscription, q: FeedQuery): Promise<FeedAnswer> {
  const later = q.delayed && q.delayed.head > q.upTo ? await lookahead(log, q.memory, q.upTo, q.delayed.head) : [];
  const delayMs = (q.delayed?.delaySeconds ?? 0) * 1000;
  if (q.since !== undefined) {
    if (q.since > q.upTo) throw sinceAhead(q.since, q.upTo);
    // One bounded page (events, bytes, events looked at): the caller continues from its `seq`.
    const bounds = { ...DEFAULT_PAGE_BOUNDS, maxEvents: Math.min(q.limit ?? REPLAY_PAGE_MAX_EVENTS, REPLAY_PAGE_MAX_EVENTS) };
    const replay = q.delayed
      ? await delayedPage(log, viewFor(sub), q.since, q.upTo, later, delayMs, bounds)
      : await replayPage(log, q.memory ?? null, viewFor(sub), q.since, q.upTo, bounds);
    if (!replay.reset) return { headlines: replay.headlines, seq: replay.seq };
  }
  const next = nextEventTimes(later);
  const match = q.delayed ? (h: Headline) => matches(sub, h) && !overtaken(h, next.get(h.id), delayMs) : (h: Headline) => matches(sub, h);
  const headlines = newestWithin(await log.snapshot(match, q.limit ?? DEFAULT_SNAPSHOT_LIMIT, q.upTo));
  return q.since === undefined ? { headlines, seq: q.upTo } : { headlines, seq: q.upTo, reset: true };
}

/**
 * The events after `upTo` up to `head`: from memory when it holds all of them, so a demo key's
 * subscribe or stream does not read its whole delay window from Redis each time; else the log.
 */
async function lookahead(log: FeedLog, memory: RecentEvents | null | undefined, upTo: number, head: number): Promise<readonly LogEvent[]> {
  const held = memory?.recentAfter(upTo) ?? null;
  const last = held?.at(-1)?.h.seq ?? upTo;
  if (held !== null && last >= head) return last === head ? held : held.filter((ev) => ev.h.seq <= head);
  return log.range(upTo, head, MAX_LOOKAHEAD);
}
