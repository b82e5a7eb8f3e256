import { REPLAY_PAGE_MAX_EVENTS, TickerError, type Headline } from '@headline-ticker/sdk/protocol';
import type { FeedLog } from '../log/feed-log.js';
import { DEFAULT_SNAPSHOT_LIMIT, queryFeed, sinceAhead, viewFor, type FeedAnswer } from '../log/feed-query.js';
import { delayedEvents } from '../log/delayed-view.js';
import type { LogEvent } from '../log/log-event.js';
import { matches, type Subscription } from '../log/subscription.js';
import { DEFAULT_PAGE_BOUNDS, jsonBytes, newestWithin, replayPage } from '../log/replay-pages.js';
import type { DelayLine } from './delay-line.js';
import type { FeedRelay } from './feed-relay.js';

/** How long a subscribe with a `since` ahead of this gateway waits for it to catch up. */
const CATCH_UP_MS = 2000;

export interface AnswerDeps {
  log: FeedLog;
  relay: FeedRelay;
  delays: DelayLine;
}

export type SubscribeAnswer = FeedAnswer & { more?: true };

/**
 * The subscribe answer, complete up to the relay's (or the delay lane's) position when it
 * returns; or, for a replay longer than a page, one page with `more` (the socket stays off the
 * live path until the last page). `closed` says whether the asking socket has gone.
 */
export async function answerSubscribe(
  deps: AnswerDeps,
  closed: () => boolean,
  sub: Subscription,
  since: number | undefined,
  limit: number | undefined,
): Promise<SubscribeAnswer> {
  const { log, relay, delays } = deps;
  // A real-time key sees up to the relay's last event; a delayed key up to its lane's horizon.
  const delay = sub.entitlement.delaySeconds;
  const horizon = () => (delay === 0 ? relay.lastSeq : delays.horizon(delay));
  if (since !== undefined && since > horizon()) {
    const caughtUp = delay === 0 ? await relay.waitFor(since, CATCH_UP_MS) : await delays.waitFor(delay, since, CATCH_UP_MS);
    if (!caughtUp) {
      const head = await log.currentSeq();
      if (since > head) throw sinceAhead(since, head);
      throw new TickerError('unavailable', 'this gateway is catching up; try again');
    }
  }
  if (delay > 0) return answerDelayed(deps, sub, since, limit, horizon);
  if (since === undefined) return completeLive(deps, closed, sub, await liveSnapshot(deps, sub, limit), null);
  // A replay comes in pages (replay-pages.ts); only the last one joins live delivery.
  const page = await replayPage(log, relay, viewFor(sub), since, horizon(), DEFAULT_PAGE_BOUNDS, closed);
  if (page.more) return { headlines: page.headlines, seq: page.seq, more: true };
  const answer = page.reset ? await queryFeed(log, sub, { since, limit, upTo: horizon() }) : { headlines: page.headlines, seq: page.seq };
  return completeLive(deps, closed, sub, answer, page.bytes);
}

/**
 * A real-time key's snapshot: from the relay's memory when it provably holds the answer (see
 * RecentEvents.snapshot), else from the log; the same headlines either way.
 */
async function liveSnapshot({ log, relay }: AnswerDeps, sub: Subscription, limit: number | undefined): Promise<FeedAnswer> {
  const upTo = relay.lastSeq;
  const fromMemory = await relay.recentSnapshot((h) => matches(sub, h), limit ?? DEFAULT_SNAPSHOT_LIMIT, upTo);
  if (fromMemory !== null) return { headlines: newestWithin(fromMemory), seq: upTo };
  return queryFeed(log, sub, { limit, upTo });
}

/**
 * Completes a real-time answer up to the relay's position: what arrived meanwhile is added if
 * the page has room for it (`bytes` so far; null when the answer is not a page), else it is one
 * more page.
 */
async function completeLive(
  { log, relay }: AnswerDeps,
  closed: () => boolean,
  sub: Subscription,
  first: FeedAnswer,
  pageBytes: number | null,
): Promise<SubscribeAnswer> {
  const view = viewFor(sub);
  let answer = first;
  let bytes = pageBytes ?? 0;
  const paging = pageBytes !== null && answer.reset === undefined;
  const room = (added: Headline[]): boolean => {
    if (!paging) return true;
    for (const h of added) bytes += jsonBytes(h);
    return answer.headlines.length + added.length <= DEFAULT_PAGE_BOUNDS.maxEvents && bytes <= DEFAULT_PAGE_BOUNDS.maxBytes;
  };
  const visible = (events: LogEvent[], upTo: number) =>
    events
      .filter((ev) => ev.h.seq <= upTo)
      .map(view)
      .filter((h): h is Headline => h !== null);
  for (;;) {
    if (closed()) throw new TickerError('unavailable', 'disconnected');
    const upTo = relay.lastSeq;
    if (answer.seq >= upTo) return answer;
    const tail = relay.recentAfter(answer.seq);
    if (tail !== null) {
      const added = visible(tail, upTo);
      if (!room(added)) return { ...answer, more: true };
      return { ...answer, headlines: [...answer.headlines, ...added], seq: upTo };
    }
    const more = await log.readAfter(answer.seq, view, REPLAY_PAGE_MAX_EVENTS, upTo);
    if (!room(more.headlines)) return { ...answer, more: true };
    answer = { ...answer, headlines: [...answer.headlines, ...more.headlines], seq: more.seq };
  }
}

/**
 * A delayed key's answer. Its view of a stretch of the log depends on what came after it (a
 * newer event overtakes one still inside the delay), so it is read from the log. Such keys are
 * demo and widget feeds that show a few items: a resume from further back than a page gets a
 * fresh snapshot (`reset`) instead of a replay, which keeps the read bounded.
 */
async function answerDelayed(
  { log, relay }: AnswerDeps,
  sub: Subscription,
  since: number | undefined,
  limit: number | undefined,
  horizon: () => number,
): Promise<FeedAnswer> {
  const delay = sub.entitlement.delaySeconds;
  const view = viewFor(sub);
  const upTo = horizon();
  const head = relay.lastSeq;
  const tooFar = since !== undefined && upTo - since > REPLAY_PAGE_MAX_EVENTS;
  const answer = await queryFeed(log, sub, {
    since: tooFar ? undefined : since,
    limit,
    upTo,
    delayed: { delaySeconds: delay, head },
    memory: relay,
  });
  if (tooFar) return { ...answer, reset: true };
  if (answer.seq >= horizon()) return answer;
  // The lane moved on meanwhile: the rest, up to where it is now, in its latest state.
  const [rest, after] = await delayedRest(log, relay, answer.seq, horizon());
  const more = delayedEvents(rest, after, delay * 1000)
    .map(view)
    .filter((h): h is Headline => h !== null);
  return { ...answer, headlines: [...answer.headlines, ...more], seq: rest.at(-1)?.h.seq ?? answer.seq };
}

/** The events after `from` up to `upTo` (a page at most), and those after them to the head: from memory when it holds them. */
async function delayedRest(log: FeedLog, relay: FeedRelay, from: number, upTo: number): Promise<[LogEvent[], LogEvent[]]> {
  const held = relay.recentAfter(from);
  if (held !== null && (held.at(-1)?.h.seq ?? from) === relay.lastSeq) {
    const rest = held.filter((ev) => ev.h.seq <= upTo).slice(0, REPLAY_PAGE_MAX_EVENTS);
    const last = rest.at(-1)?.h.seq ?? from;
    return [rest, held.filter((ev) => ev.h.seq > last)];
  }
  const rest = await log.range(from, upTo, REPLAY_PAGE_MAX_EVENTS);
  const later = await log.range(rest.at(-1)?.h.seq ?? from, relay.lastSeq, REPLAY_PAGE_MAX_EVENTS * 10);
  return [rest, later];
}
