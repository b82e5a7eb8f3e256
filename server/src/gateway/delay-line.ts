import { TickerError } from '@headline-ticker/sdk/protocol';
import type { FeedLog } from '../log/feed-log.js';
import type { LogEvent } from '../log/log-event.js';
import type { Logger } from '../logger.js';

/** A queued event; `dropped` once a newer event of the same headline overtook it. */
interface Queued {
  ev: LogEvent;
  dropped: boolean;
}

/** One delay value's queue: events wait here, in seq order, until `updatedAt + delay`. */
interface Lane {
  readonly delayMs: number;
  queue: Queued[];
  /** the newest queued event of each headline */
  latest: Map<string, Queued>;
  /** every event up to this seq has been released for this delay */
  released: number;
  /** events that arrived while the lane was being primed from the log */
  primed: boolean;
  early: LogEvent[];
  waiters: { seq: number; resolve: () => void }[];
}

/**
 * Demo access: each event reaches a delayed key `delaySeconds` after it happened, in seq order,
 * in its latest state: an event still waiting when a newer one of the same headline arrives is
 * dropped (the newer one is what the key gets), and a withdrawal of a headline the lane never
 * released is released silently (the story never reaches the key). Same rule as
 * log/delayed-view.ts, which history and replays use.
 * One line per gateway with one timer for every delayed socket; delays that share a value share
 * a lane. A lane's `released` seq is the horizon that its subscribes and replays answer up to.
 */
export class DelayLine {
  readonly #lanes = new Map<number, Lane>();
  readonly #log: FeedLog;
  readonly #logger: Logger;
  readonly #release: (delaySeconds: number, ev: LogEvent) => void;
  #timer: NodeJS.Timeout | null = null;
  #timerAt = Infinity;
  #closed = false;

  constructor(log: FeedLog, logger: Logger, release: (delaySeconds: number, ev: LogEvent) => void) {
    this.#log = log;
    this.#logger = logger;
    this.#release = release;
  }

  /** Keeps one lane per delay in `delays`; a new lane is primed from the log (events not yet due). */
  async sync(delays: Iterable<number>, lastSeq: number): Promise<void> {
    const wanted = new Set([...delays].filter((d) => d > 0));
    for (const d of this.#lanes.keys()) if (!wanted.has(d)) this.#lanes.delete(d);
    const priming: Promise<void>[] = [];
    for (const d of wanted) {
      if (this.#lanes.has(d)) continue;
      const lane: Lane = { delayMs: d * 1000, queue: [], latest: new Map(), released: 0, primed: false, early: [], waiters: [] };
      this.#lanes.set(d, lane);
      priming.push(this.#prime(lane, lastSeq));
    }
    await Promise.all(priming);
  }

  /** Every event, in seq order, as the relay emits it. */
  push(ev: LogEvent): void {
    for (const lane of this.#lanes.values()) {
      if (!lane.primed) lane.early.push(ev);
      else enqueue(lane, ev);
    }
    this.#schedule();
  }

  /** The seq up to which a delayed key may see the feed right now. */
  horizon(delaySeconds: number): number {
    const lane = this.#lanes.get(delaySeconds);
    if (!lane?.primed) throw new TickerError('unavailable', 'the delayed feed is starting; try again');
    return lane.released;
  }

  /** Resolves true once the lane has released `seq`, false after `timeoutMs`. */
  waitFor(delaySeconds: number, seq: number, timeoutMs: number): Promise<boolean> {
    const lane = this.#lanes.get(delaySeconds);
    if (!lane) return Promise.resolve(false);
    if (lane.released >= seq) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = { seq, resolve: () => resolve(true) };
      lane.waiters.push(waiter);
      setTimeout(() => {
        const i = lane.waiters.indexOf(waiter);
        if (i >= 0) {
          lane.waiters.splice(i, 1);
          resolve(false);
        }
      }, timeoutMs).unref();
    });
  }

  /** The feed started again: every lane is primed afresh from the log. */
  async restart(delays: Iterable<number>, lastSeq: number): Promise<void> {
    this.#lanes.clear();
    await this.sync(delays, lastSeq);
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  async #prime(lane: Lane, lastSeq: number): Promise<void> {
    const horizon = await this.#log.seqAsOf(Date.now() - lane.delayMs, lastSeq);
    const pendingFromLog = horizon < lastSeq ? await this.#log.range(horizon, lastSeq, 1_000_000) : [];
    lane.released = horizon;
    const seen = new Set(pendingFromLog.map((ev) => ev.h.seq));
    lane.queue = [];
    lane.latest.clear();
    for (const ev of [...pendingFromLog, ...lane.early.filter((ev) => !seen.has(ev.h.seq) && ev.h.seq > horizon)]) enqueue(lane, ev);
    lane.early = [];
    lane.primed = true;
    this.#logger.info({ delaySeconds: lane.delayMs / 1000, horizon, waiting: lane.queue.length }, 'delay lane ready');
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closed) return;
    let next = Infinity;
    for (const lane of this.#lanes.values()) {
      const head = lane.queue[0];
      if (head) next = Math.min(next, Date.parse(head.ev.h.updatedAt) + lane.delayMs);
    }
    if (next === Infinity || next >= this.#timerAt) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAt = next;
    this.#timer = setTimeout(this.#tick, Math.max(0, next - Date.now()));
    this.#timer.unref();
  }

  #tick = (): void => {
    this.#timer = null;
    this.#timerAt = Infinity;
    const now = Date.now();
    for (const [delay, lane] of this.#lanes) {
      let n = 0;
      // In seq order: an event is not released before every earlier one, even if its clock
      // says it is due (workers' clocks may differ by a few milliseconds).
      while (n < lane.queue.length && Date.parse(lane.queue[n]!.ev.h.updatedAt) + lane.delayMs <= now) n++;
      if (n === 0) continue;
      const due = lane.queue.splice(0, n);
      for (const item of due) {
        const { h, prev } = item.ev;
        lane.released = h.seq;
        if (lane.latest.get(h.id) === item) lane.latest.delete(h.id);
        if (item.dropped) continue;
        // A withdrawal of a headline this lane never released: the story never reaches the key.
        if (prev === null && h.status === 'withdrawn' && h.version > 1) continue;
        try {
          this.#release(delay, item.ev);
        } catch (err) {
          this.#logger.error({ err, seq: h.seq }, 'delayed release failed');
        }
      }
      if (lane.waiters.length > 0) {
        lane.waiters = lane.waiters.filter((w) => (w.seq <= lane.released ? (w.resolve(), false) : true));
      }
    }
    this.#schedule();
  };
}

/** Queues an event; an older one of the same headline still waiting is overtaken by it. */
function enqueue(lane: Lane, ev: LogEvent): void {
  const older = lane.latest.get(ev.h.id);
  let item: Queued = { ev, dropped: false };
  if (older !== undefined && !older.dropped) {
    older.dropped = true;
    // The key has seen (at most) what the overtaken event replaced.
    item = { ev: { h: ev.h, prev: older.ev.prev }, dropped: false };
  }
  lane.queue.push(item);
  lane.latest.set(ev.h.id, item);
}
