import { TickerError, type Headline } from '@headline-ticker/sdk/protocol';
import type { FeedLog } from '../log/feed-log.js';
import type { Logger } from '../logger.js';

/** One delay value's queue: events wait here, in seq order, until `updatedAt + delay`. */
interface Lane {
  readonly delayMs: number;
  queue: Headline[];
  /** every event up to this seq has been released for this delay */
  released: number;
  /** events that arrived while the lane was being primed from the log */
  primed: boolean;
  early: Headline[];
  waiters: { seq: number; resolve: () => void }[];
}

/**
 * Demo access: each event reaches a delayed key `delaySeconds` after it happened, in seq order.
 * One line per gateway with one timer for every delayed socket; delays that share a value share
 * a lane. A lane's `released` seq is the horizon that its subscribes and replays answer up to.
 */
export class DelayLine {
  readonly #lanes = new Map<number, Lane>();
  readonly #log: FeedLog;
  readonly #logger: Logger;
  readonly #release: (delaySeconds: number, h: Headline) => void;
  #timer: NodeJS.Timeout | null = null;
  #timerAt = Infinity;
  #closed = false;

  constructor(log: FeedLog, logger: Logger, release: (delaySeconds: number, h: Headline) => void) {
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
      const lane: Lane = { delayMs: d * 1000, queue: [], released: 0, primed: false, early: [], waiters: [] };
      this.#lanes.set(d, lane);
      priming.push(this.#prime(lane, lastSeq));
    }
    await Promise.all(priming);
  }

  /** Every event, in seq order, as the relay emits it. */
  push(h: Headline): void {
    for (const lane of this.#lanes.values()) {
      if (!lane.primed) lane.early.push(h);
      else lane.queue.push(h);
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
    const seen = new Set(pendingFromLog.map((h) => h.seq));
    lane.queue = [...pendingFromLog, ...lane.early.filter((h) => !seen.has(h.seq) && h.seq > horizon)];
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
      if (head) next = Math.min(next, Date.parse(head.updatedAt) + lane.delayMs);
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
      while (n < lane.queue.length && Date.parse(lane.queue[n]!.updatedAt) + lane.delayMs <= now) n++;
      if (n === 0) continue;
      const due = lane.queue.splice(0, n);
      for (const h of due) {
        lane.released = h.seq;
        try {
          this.#release(delay, h);
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
