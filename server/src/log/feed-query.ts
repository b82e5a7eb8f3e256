import { SINCE_AHEAD, TickerError, type Headline } from '@headline-ticker/sdk/protocol';
import type { FeedLog } from './feed-log.js';
import { matches, type Subscription } from './subscription.js';

export const DEFAULT_SNAPSHOT_LIMIT = 20;

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
}

export interface FeedAnswer {
  headlines: Headline[];
  /** complete up to this seq: live delivery (or the next page) continues after it */
  seq: number;
  reset?: true;
}

/**
 * What a subscription sees of the log: with `since`, every matching event after it (a replay);
 * without, the latest matching headlines (a snapshot). A `since` that fell out of the log gets
 * a snapshot and `reset`. Shared by history (REST) and subscribe (socket), so they agree.
 */
export async function queryFeed(log: FeedLog, sub: Subscription, q: FeedQuery): Promise<FeedAnswer> {
  const match = (h: Headline) => matches(sub, h);
  if (q.since !== undefined) {
    if (q.since > q.upTo) throw sinceAhead(q.since, q.upTo);
    const replay = await log.readAfter(q.since, match, q.limit ?? Number.MAX_SAFE_INTEGER, q.upTo);
    if (!replay.reset) return { headlines: replay.headlines, seq: replay.seq };
  }
  const headlines = await log.snapshot(match, q.limit ?? DEFAULT_SNAPSHOT_LIMIT, q.upTo);
  return q.since === undefined ? { headlines, seq: q.upTo } : { headlines, seq: q.upTo, reset: true };
}
