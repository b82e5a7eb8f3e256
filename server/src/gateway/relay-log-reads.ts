// The reads a relay makes of the log besides the live announcements: the catch-up that fills a
// hole in the sequence, the tail check that tells a lost log from a healthy one, the ring's first
// contents and snapshots from memory. Apart from the relay's state machine (feed-relay.ts), so
// each can be read on its own.
import type { FeedLog } from '../log/feed-log.js';
import type { Headline } from '@headline-ticker/sdk/protocol';
import type { LogEvent } from '../log/log-event.js';
import type { RecentEvents } from './recent-events.js';

/** What the catch-up needs of the relay it fills. */
export interface CatchUpTarget {
  /** the seq of the last event emitted */
  lastSeq(): number;
  /** true once the relay is closing or distrusts the log (a reconnect's tail check pending) */
  stopped(): boolean;
  /** events up to `seq` left the log before they could be read */
  skipTo(seq: number): void;
  deliver(ev: LogEvent): void;
  /** emits held announcements that now follow on */
  drainPending(): void;
}

/**
 * Reads from the log, in batches of 1000, everything after `target.lastSeq()` up to the head, and
 * hands it over in order; anything already retired from the log is reported as a gap.
 */
export async function catchUp(log: FeedLog, target: CatchUpTarget): Promise<void> {
  for (;;) {
    if (target.stopped()) return;
    const head = await log.currentSeq();
    if (head <= target.lastSeq()) return;
    const batch = await log.range(target.lastSeq(), head, 1000);
    if (batch.length === 0 || batch[0]!.h.seq > target.lastSeq() + 1) {
      const oldest = batch[0]?.h.seq ?? (await log.oldestSeq()) ?? head + 1;
      target.skipTo(oldest - 1);
      continue;
    }
    for (const ev of batch) {
      const { seq } = ev.h;
      if (seq <= target.lastSeq()) continue;
      if (seq !== target.lastSeq() + 1) target.skipTo(seq - 1);
      target.deliver(ev);
    }
    target.drainPending();
  }
}

export type TailVerdict =
  /** the log lost what was emitted (it went backwards, or the last event is another): a new epoch */
  | { kind: 'lost'; head: number }
  /** another gateway already moved the feed to a new epoch */
  | { kind: 'epoch'; head: number; epoch: string }
  /** the log holds what was emitted; `head` may be ahead */
  | { kind: 'fine'; head: number };

/**
 * The tail check: the log still holds the event emitted last (`asked`, with id `askedId`), under
 * the same epoch. Compares with lastSeq as it was when the check was sent: the log cannot be
 * behind what was already emitted from it, but events keep arriving on the pub/sub connection
 * meanwhile, so a head older than the *current* lastSeq is normal and not a restart.
 */
export async function checkTail(log: FeedLog, asked: number, askedId: string | null, epoch: string): Promise<TailVerdict> {
  const tail = await log.tail(asked);
  const lost = tail.head < asked || (asked > 0 && askedId !== null && tail.idAtSeq !== askedId && !(await retired(log, asked)));
  if (lost) return { kind: 'lost', head: tail.head };
  if (tail.epoch !== null && tail.epoch !== epoch) return { kind: 'epoch', head: tail.head, epoch: tail.epoch };
  return { kind: 'fine', head: tail.head };
}

/** Whether the event at `seq` left the log by retention (not by a loss). */
async function retired(log: FeedLog, seq: number): Promise<boolean> {
  const oldest = await log.oldestSeq();
  return oldest === null ? false : oldest > seq;
}

/**
 * The ring's first contents: the log's latest events up to `upTo`, so the subscribes and resumes
 * of a reconnect storm after a restart are answered from memory. One read of up to the ring's
 * capacity; a log that does not end at `upTo` (it changed meanwhile) is not used.
 */
export async function prefill(log: FeedLog, recent: RecentEvents, upTo: number): Promise<void> {
  if (upTo === 0) return;
  const events = await log.range(Math.max(0, upTo - recent.capacity), upTo, recent.capacity);
  if (events.at(-1)?.h.seq !== upTo) return;
  for (const ev of events) recent.push(ev);
}

export interface Coalesced {
  /** runs now, or once more after the run in flight (which it returns) */
  (): Promise<void>;
  /** the run in flight, if any */
  readonly running: Promise<void> | null;
}

/** One run at a time: a call during a run asks for one more after it, so nothing asked is missed. */
export function coalesce(run: () => Promise<void>, allowed: () => boolean): Coalesced {
  let running: Promise<void> | null = null;
  let again = false;
  const call = (): Promise<void> => {
    if (!allowed()) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = run().finally(() => {
      running = null;
      if (again && allowed()) {
        again = false;
        void call();
      }
    });
    return running;
  };
  return Object.defineProperty(call, 'running', { get: () => running }) as Coalesced;
}

/**
 * The latest `limit` headlines matching as of `upTo` from memory, or null when memory cannot
 * prove them complete. Without Redis when `limit` matches are found among the newest events,
 * which retention never trims (half its `maxEvents`, leaving room for appends the relay has
 * not seen yet); else one read of where the log starts, to tell whether the ring covers it.
 */
export async function snapshotFromMemory(
  log: FeedLog,
  recent: RecentEvents,
  match: (h: Headline) => boolean,
  limit: number,
  upTo: number,
): Promise<Headline[] | null> {
  if (upTo === 0) return [];
  const kept = recent.snapshot(match, limit, upTo, upTo - Math.floor(log.retainsAtLeast / 2) + 1);
  if (kept !== null) return kept;
  const logStart = await log.oldestSeq();
  if (logStart === null || logStart > upTo) return null;
  return recent.snapshot(match, limit, upTo, logStart, true);
}
