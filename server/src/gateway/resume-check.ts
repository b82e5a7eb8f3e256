import type { FeedLog } from '../log/feed-log.js';
import type { FeedRelay } from './feed-relay.js';

/**
 * Whether the log now holds another headline at the seq of the last one a client received:
 * its numbers were handed out again (Redis restarted without its last writes, and no gateway
 * that had emitted them is left to notice and renew the epoch). From the relay's memory when it
 * holds that seq, else one read of the log. An entry the log no longer has (retention) proves
 * nothing either way: false.
 */
export async function lastSeenReused(relay: FeedRelay, log: FeedLog, seen: { seq: number; id: string }): Promise<boolean> {
  const id = relay.recentAt(seen.seq)?.h.id ?? (await log.idAt(seen.seq));
  return id !== null && id !== seen.id;
}
