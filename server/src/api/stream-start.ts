import { REPLAY_PAGE_MAX_EVENTS, TickerError } from '@headline-ticker/sdk/protocol';
import type { Gateway } from '../gateway/gateway.js';
import type { FeedLog } from '../log/feed-log.js';
import { queryFeed } from '../log/feed-query.js';
import type { RecentEvents } from '../log/replay-pages.js';
import type { Subscription } from '../log/subscription.js';
import type { Metrics } from '../metrics.js';
import type { SseStream } from './sse-stream.js';

export interface StreamStartDeps {
  log: FeedLog;
  gateway: Gateway;
  metrics: Metrics;
  /** the gateway's recent events (a delayed key's lookahead is read from there when it can be), and the feed epoch it follows */
  relay: RecentEvents & { readonly epoch: string };
}

/**
 * What a stream starts with, up to the gateway's horizon for its delay: a snapshot, a bounded
 * replay after `since`, or a reset (the feed started again, the log was trimmed, the replay is
 * longer than a page).
 */
export async function startStream(
  { log, gateway, metrics, relay }: StreamStartDeps,
  stream: SseStream,
  sub: Subscription,
  since: number | undefined,
  limit: number | undefined,
): Promise<void> {
  const delay = sub.entitlement.delaySeconds;
  let upTo: number;
  let head: number;
  try {
    upTo = gateway.horizon(delay);
    head = await log.currentSeq();
  } catch (err) {
    throw err instanceof TickerError ? err : new TickerError('unavailable', 'the feed store is unreachable', { cause: err });
  }
  // A delayed key sees each headline in its latest state (what came after its horizon counts).
  const delayed = delay > 0 ? { delaySeconds: delay, head } : undefined;
  const snapshot = async () => queryFeed(log, sub, { limit, upTo, delayed, memory: relay });
  if (since === undefined) {
    const first = await snapshot();
    stream.sendAll(first.headlines);
    stream.sent = Math.max(stream.sent, first.seq);
  } else if (since > head) {
    // Ahead of the feed: it started again (its Redis lost its data). Start afresh.
    const first = await snapshot();
    stream.sendAll(first.headlines);
    stream.reset(first.seq, 'feed_restarted', relay.epoch);
  } else if (since >= upTo) {
    stream.sent = since; // nothing to replay: live continues after it
  } else {
    const replay = await queryFeed(log, sub, { since, limit: REPLAY_PAGE_MAX_EVENTS, upTo, delayed, memory: relay });
    if (replay.reset) {
      const first = await snapshot();
      stream.sendAll(first.headlines);
      stream.reset(first.seq, 'log_trimmed');
      metrics.resets.inc();
    } else {
      stream.sendAll(replay.headlines);
      if (replay.seq < upTo) stream.reset(upTo, 'replay_bound');
      else stream.sent = Math.max(stream.sent, replay.seq);
    }
  }
  if (since !== undefined) metrics.replays.inc();
}

/**
 * The feed started again under a new epoch (Redis lost events, and numbers are being handed out
 * again): positions in the old numbering mean nothing. A fresh snapshot, then a `reset` whose
 * `id` is in the new numbering, so the client's next Last-Event-ID is a valid resume point.
 */
export async function restartStream(deps: StreamStartDeps, stream: SseStream, sub: Subscription, limit: number | undefined): Promise<void> {
  stream.sent = -1;
  await startStream(deps, stream, sub, undefined, limit);
  stream.reset(stream.sent, 'feed_restarted', deps.relay.epoch);
}
