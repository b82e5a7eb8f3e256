import { HISTORY_DEFAULT_LIMIT, REPLAY_PAGE_MAX_EVENTS, TickerError, type HistoryResponse } from '@headline-ticker/sdk/protocol';
import type { HistoryQuery } from '@headline-ticker/sdk/schemas';
import type { Entitlement } from '../access/entitlements.js';
import type { FeedLog } from '../log/feed-log.js';
import { queryFeed, sinceAhead, viewFor } from '../log/feed-query.js';
import { DEFAULT_PAGE_BOUNDS, replayPage } from '../log/replay-pages.js';
import { subscriptionOf } from '../log/subscription.js';
import type { Metrics } from '../metrics.js';

/**
 * The answer of `GET /api/headlines`: a snapshot, or a page of the replay after `since` (with
 * `more` to continue from `seq`); a delayed key's history ends where its delay does.
 */
export async function historyAnswer(log: FeedLog, metrics: Metrics, entitlement: Entitlement, q: HistoryQuery): Promise<HistoryResponse> {
  const sub = subscriptionOf(entitlement, q);
  let upTo: number;
  let head: number;
  let epoch: string;
  try {
    epoch = await log.epoch();
    upTo = head = await log.currentSeq();
    // A delayed key's history ends where its delay does.
    if (entitlement.delaySeconds > 0) upTo = await log.seqAsOf(Date.now() - entitlement.delaySeconds * 1000, head);
  } catch (err) {
    throw new TickerError('unavailable', 'the feed store is unreachable', { cause: err });
  }
  // A delayed key sees each headline in its latest state: what came after its horizon counts.
  const delayed = entitlement.delaySeconds > 0 ? { delaySeconds: entitlement.delaySeconds, head } : undefined;
  // A position from another epoch means nothing now: a fresh snapshot, marked as a reset.
  const otherEpoch = q.epoch !== undefined && q.since !== undefined && q.epoch !== epoch;
  const since = otherEpoch ? undefined : q.since;
  // Paged like a socket replay: a bounded answer and `more` to continue from `seq`.
  const limit = q.limit === undefined ? undefined : Math.min(q.limit, REPLAY_PAGE_MAX_EVENTS);
  if (since !== undefined && delayed === undefined) {
    if (since > upTo) throw sinceAhead(since, upTo);
    const bounds = { ...DEFAULT_PAGE_BOUNDS, maxEvents: limit ?? HISTORY_DEFAULT_LIMIT };
    const page = await replayPage(log, null, viewFor(sub), since, upTo, bounds).catch((err: unknown) => {
      throw new TickerError('unavailable', 'the feed store is unreachable', { cause: err });
    });
    if (!page.reset) {
      const out: HistoryResponse = { headlines: page.headlines, seq: page.seq, epoch };
      if (page.more) out.more = true;
      return out;
    }
  }
  // A delayed key's replay is at most one page (limit defaults to HISTORY_DEFAULT_LIMIT); the
  // snapshot otherwise.
  const answer = await queryFeed(log, sub, { since, limit: since !== undefined ? (limit ?? HISTORY_DEFAULT_LIMIT) : limit, upTo, delayed });
  if (answer.reset || otherEpoch) metrics.resets.inc();
  const out: HistoryResponse = { ...answer, epoch, ...(otherEpoch ? { reset: true as const } : {}) };
  if (since !== undefined && answer.reset === undefined && answer.seq < upTo) out.more = true;
  return out;
}
