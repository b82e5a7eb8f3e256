import { SINCE_AHEAD, TickerError, type Headline } from '@headline-ticker/sdk/protocol';
import { delayedEvents, nextEventTimes, overtaken } from './delayed-view.js';
import type { FeedLog } from './feed-log.js';
import { viewOf, type LogEvent } from './log-event.js';
import type { RecentEvents } from './replay-pages.js';
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
 * What a subscription sees of the log: with `since`, every matching event after it (a replay);
 * without, the latest matching headlines (a snapshot). A `since` that fell out of the log gets
 * a snapshot and `reset`. Shared by history (REST) and subscribe (socket), so they agree.
 */
export async function queryFeed(log: FeedLog, sub: Subscription, q: FeedQuery): Promise<FeedAnswer> {
  const later = q.delayed && q.delayed.head > q.upTo ? await lookahead(log, q.memory, q.upTo, q.delayed.head) : [];
  const delayMs = (q.delayed?.delaySeconds ?? 0) * 1000;
  if (q.since !== undefined) {
    if (q.since > q.upTo) throw sinceAhead(q.since, q.upTo);
    const replay = q.delayed
      ? await delayedReplay(log, sub, q.since, q.limit ?? Number.MAX_SAFE_INTEGER, q.upTo, later, delayMs)
      : await log.readAfter(q.since, viewFor(sub), q.limit ?? Number.MAX_SAFE_INTEGER, q.upTo);
    if (!replay.reset) return { headlines: replay.headlines, seq: replay.seq };
  }
  const next = nextEventTimes(later);
  const match = q.delayed ? (h: Headline) => matches(sub, h) && !overtaken(h, next.get(h.id), delayMs) : (h: Headline) => matches(sub, h);
  const headlines = await log.snapshot(match, q.limit ?? DEFAULT_SNAPSHOT_LIMIT, q.upTo);
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

/** A delayed key's replay: the latest state of each headline as its delay line releases it. */
async function delayedReplay(
  log: FeedLog,
  sub: Subscription,
  since: number,
  limit: number,
  upTo: number,
  later: readonly LogEvent[],
  delayMs: number,
): Promise<{ headlines: Headline[]; seq: number; reset: boolean }> {
  if (since >= upTo) return { headlines: [], seq: upTo, reset: false };
  const oldest = await log.oldestSeq();
  if (oldest === null || oldest > since + 1) return { headlines: [], seq: since, reset: true };
  const events: LogEvent[] = [];
  for (let cursor = since; cursor < upTo;) {
    const batch = await log.range(cursor, upTo, 1000);
    if (batch.length === 0) break;
    events.push(...batch);
    cursor = batch[batch.length - 1]!.h.seq;
  }
  const view = viewFor(sub);
  const out: Headline[] = [];
  for (const ev of delayedEvents(events, later, delayMs)) {
    const h = view(ev);
    if (h === null) continue;
    out.push(h);
    if (out.length >= limit) return { headlines: out, seq: ev.h.seq, reset: false };
  }
  return { headlines: out, seq: upTo, reset: false };
}
