import { EventEmitter } from 'node:events';
import type { Headline } from '@headline-ticker/sdk/protocol';
import { isCluster, type RedisClient } from '../redis/connection.js';
import type { FeedLog } from '../log/feed-log.js';
import { parseAnnouncement, type LogEvent } from '../log/log-event.js';
import type { Logger } from '../logger.js';
import { RecentEvents, SeqWaiters } from './recent-events.js';

export interface FeedRelayOptions {
  /** a dedicated connection: it enters subscriber mode */
  subscriber: RedisClient;
  log: FeedLog;
  logger: Logger;
  /** recent events kept in memory for resumes and catch-up (default 10,000) */
  bufferSize?: number;
  /** how often the tail of the log is checked, to catch a lost last message (default 1,000 ms) */
  reconcileIntervalMs?: number;
}

interface RelayEvents {
  /** every event, exactly once, in seq order */
  event: [LogEvent];
  /** events that left the log before this relay could read them: they are lost to it */
  gap: [{ from: number; to: number }];
  /** the log's seq went backwards (Redis lost its data): the feed started again at `seq` */
  restart: [{ from: number; seq: number }];
}

const MAX_PENDING = 50_000;

/**
 * One per gateway. Turns the pub/sub announcements into a gap-free, ordered sequence: an event
 * is emitted only when every earlier seq has been; anything missing (a lost message, a
 * reconnect, a start) is read from the log first. Pub/sub is the fast path; the log is the truth.
 */
export class FeedRelay extends EventEmitter<RelayEvents> {
  readonly #sub: RedisClient;
  readonly #sharded: boolean;
  readonly #log: FeedLog;
  readonly #logger: Logger;
  readonly #reconcileMs: number;
  #lastSeq = 0;
  /** the id of the headline at lastSeq, to tell whether the log still holds what was emitted */
  #lastId: string | null = null;
  #epoch = '';
  #checking = false;
  /** set on a reconnect until the tail check has passed: nothing is emitted meanwhile */
  #suspect = false;
  readonly #recent: RecentEvents;
  #pending = new Map<number, LogEvent>();
  #repairing: Promise<void> | null = null;
  #repairAgain = false;
  #timer: NodeJS.Timeout | null = null;
  readonly #waiters = new SeqWaiters();
  #started = false;
  #closed = false;

  constructor(options: FeedRelayOptions) {
    super();
    this.#sub = options.subscriber;
    this.#sharded = isCluster(options.subscriber);
    this.#log = options.log;
    this.#logger = options.logger;
    this.#recent = new RecentEvents(options.bufferSize ?? 10_000);
    this.#reconcileMs = options.reconcileIntervalMs ?? 1000;
  }

  /** The feed epoch this relay follows: a client's position is meaningful only within it. */
  get epoch(): string {
    return this.#epoch;
  }

  /** The seq of the last event emitted: this relay is complete up to here. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  async start(): Promise<void> {
    // In a cluster the feed is announced by sharded pub/sub (SPUBLISH) on its slot's node.
    this.#sub.on(this.#sharded ? 'smessage' : 'message', this.#onMessage);
    // After a reconnect ioredis resubscribes by itself; whatever was announced meanwhile is read
    // from the log.
    this.#sub.on('ready', this.#onReconnect);
    if (this.#sharded) await this.#sub.ssubscribe(this.#log.keys.channel);
    else await this.#sub.subscribe(this.#log.keys.channel);
    this.#lastSeq = await this.#log.currentSeq();
    this.#lastId = this.#lastSeq > 0 ? await this.#log.idAt(this.#lastSeq) : null;
    this.#epoch = await this.#log.epoch();
    await this.#prefill();
    this.#started = true;
    this.#drainPending();
    if (this.#pending.size > 0) this.repair();
    this.#timer = setInterval(this.#reconcile, this.#reconcileMs);
    this.#timer.unref();
  }

  /**
   * The ring starts with the log's latest events, so the subscribes and resumes of a reconnect
   * storm after a restart are answered from memory. One read of up to `bufferSize` events.
   */
  async #prefill(): Promise<void> {
    const upTo = this.#lastSeq;
    if (upTo === 0) return;
    const events = await this.#log.range(Math.max(0, upTo - this.#recent.capacity), upTo, this.#recent.capacity);
    // Seqs are contiguous; a log that does not end at `upTo` (it changed meanwhile) is not used.
    if (events.at(-1)?.h.seq !== upTo) return;
    for (const ev of events) this.#recent.push(ev);
  }

  /**
   * The latest `limit` headlines matching as of `upTo` from memory, or null when memory cannot
   * prove them complete. Without Redis when `limit` matches are found among the newest events,
   * which retention never trims (half its `maxEvents`, leaving room for appends this relay has
   * not seen yet); else one read of where the log starts, to tell whether the ring covers it.
   */
  async recentSnapshot(match: (h: Headline) => boolean, limit: number, upTo: number): Promise<Headline[] | null> {
    if (upTo === 0) return [];
    const kept = this.#recent.snapshot(match, limit, upTo, upTo - Math.floor(this.#log.retainsAtLeast / 2) + 1);
    if (kept !== null) return kept;
    const logStart = await this.#log.oldestSeq();
    if (logStart === null || logStart > upTo) return null;
    return this.#recent.snapshot(match, limit, upTo, logStart, true);
  }

  /** Events after `seq` from memory, in order; null when memory does not reach back that far. */
  recentAfter(seq: number): LogEvent[] | null {
    return this.#recent.after(seq, this.#lastSeq);
  }

  /** Resolves true once every event up to `seq` has been emitted, false after `timeoutMs`. */
  waitFor(seq: number, timeoutMs: number): Promise<boolean> {
    if (this.#lastSeq >= seq) return Promise.resolve(true);
    this.repair();
    return this.#waiters.wait(seq, timeoutMs);
  }

  /** Read whatever is missing from the log. Coalesces concurrent requests. */
  repair(): Promise<void> {
    if (this.#closed || !this.#started) return Promise.resolve();
    if (this.#repairing) {
      this.#repairAgain = true;
      return this.#repairing;
    }
    this.#repairing = this.#runRepair().finally(() => {
      this.#repairing = null;
      if (this.#repairAgain && !this.#closed) {
        this.#repairAgain = false;
        void this.repair();
      }
    });
    return this.#repairing;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#sub.off(this.#sharded ? 'smessage' : 'message', this.#onMessage);
    this.#sub.off('ready', this.#onReconnect);
    await this.#repairing?.catch(() => undefined);
  }

  #onMessage = (_channel: string, raw: string): void => {
    let ev: LogEvent;
    try {
      ev = parseAnnouncement(raw);
    } catch (err) {
      this.#logger.error({ err }, 'unparseable pub/sub message ignored');
      return;
    }
    if (!this.#started || this.#suspect) {
      this.#hold(ev);
      return;
    }
    const { seq } = ev.h;
    if (seq <= this.#lastSeq) return;
    if (seq === this.#lastSeq + 1) {
      this.#deliver(ev);
      this.#drainPending();
      return;
    }
    this.#hold(ev);
    void this.repair();
  };

  #onReconnect = (): void => {
    // Redis may have restarted without its last writes (AOF everysec): nothing is emitted until
    // the tail check has run, so no event with a reused number follows what was emitted before.
    if (!this.#started) return;
    this.#suspect = true;
    void this.#check();
  };

  #reconcile = (): void => {
    if (this.#repairing || this.#closed) return;
    void this.#check();
  };

  /**
   * The tail check: the log still holds what this relay emitted last, under the same epoch.
   * A log that went backwards, lost the last emitted event, or moved to another epoch means
   * numbers are being (or will be) handed out again: a new epoch, and clients start afresh.
   */
  async #check(): Promise<void> {
    if (this.#checking || this.#closed || !this.#started) return;
    this.#checking = true;
    // Compare with lastSeq as it was when the check was sent: the log cannot be behind what was
    // already emitted from it, but events keep arriving on the pub/sub connection meanwhile, so
    // a head older than the *current* lastSeq is normal and not a restart.
    const asked = this.#lastSeq;
    const askedId = this.#lastId;
    try {
      const tail = await this.#log.tail(asked);
      if (this.#closed) return;
      const lost = tail.head < asked || (asked > 0 && askedId !== null && tail.idAtSeq !== askedId && !(await this.#retired(asked)));
      this.#suspect = false;
      if (lost) {
        this.#epoch = await this.#log.renewEpoch(this.#epoch);
        this.#restart(tail.head);
      } else if (tail.epoch !== null && tail.epoch !== this.#epoch) {
        this.#epoch = tail.epoch;
        this.#restart(tail.head);
      } else if (tail.head > this.#lastSeq || this.#pending.size > 0) void this.repair();
    } catch {
      // Redis away: the next tick tries again
    } finally {
      this.#checking = false;
    }
  }

  /** Whether the event at `seq` left the log by retention (not by a loss). */
  async #retired(seq: number): Promise<boolean> {
    const oldest = await this.#log.oldestSeq();
    return oldest === null ? false : oldest > seq;
  }

  #hold(ev: LogEvent): void {
    // Held events only save a read; when too many pile up, the log still has them.
    if (this.#pending.size < MAX_PENDING) this.#pending.set(ev.h.seq, ev);
  }

  async #runRepair(): Promise<void> {
    try {
      for (;;) {
        if (this.#closed || this.#suspect) return;
        const head = await this.#log.currentSeq();
        if (head <= this.#lastSeq) return;
        const batch = await this.#log.range(this.#lastSeq, head, 1000);
        if (batch.length === 0 || batch[0]!.h.seq > this.#lastSeq + 1) {
          const oldest = batch[0]?.h.seq ?? (await this.#log.oldestSeq()) ?? head + 1;
          this.#skipTo(oldest - 1);
          continue;
        }
        for (const ev of batch) {
          const { seq } = ev.h;
          if (seq <= this.#lastSeq) continue;
          if (seq !== this.#lastSeq + 1) this.#skipTo(seq - 1);
          this.#deliver(ev);
        }
        this.#drainPending();
      }
    } catch (err) {
      this.#logger.warn({ err: (err as Error).message }, 'feed repair failed; will retry');
      if (!this.#closed) setTimeout(() => void this.repair(), 250).unref();
    }
  }

  /**
   * The log is behind this relay: Redis lost its data (no persistence, a flush) and the feed
   * started again. Follow it from where it is now; the gateway tells its clients to start afresh.
   */
  #restart(seq: number): void {
    const from = this.#lastSeq;
    this.#logger.error({ from, seq }, 'the feed log went backwards (Redis lost its data): following the new feed');
    this.#lastSeq = seq;
    this.#lastId = null;
    this.#recent.clear();
    this.#pending.clear();
    this.emit('restart', { from, seq });
    void this.repair();
  }

  /** Events (lastSeq, seq] left the log before they could be read: report the loss, move on. */
  #skipTo(seq: number): void {
    if (seq <= this.#lastSeq) return;
    const gap = { from: this.#lastSeq + 1, to: seq };
    this.#logger.error(gap, 'events left the log before this gateway read them');
    this.#lastSeq = seq;
    this.#lastId = null;
    this.#recent.clear();
    this.emit('gap', gap);
  }

  #drainPending(): void {
    for (;;) {
      const next = this.#pending.get(this.#lastSeq + 1);
      if (next === undefined) break;
      this.#pending.delete(next.h.seq);
      this.#deliver(next);
    }
    for (const seq of this.#pending.keys()) if (seq <= this.#lastSeq) this.#pending.delete(seq);
  }

  #deliver(ev: LogEvent): void {
    const h = ev.h;
    this.#lastSeq = h.seq;
    this.#lastId = h.id;
    this.#recent.push(ev);
    try {
      this.emit('event', ev);
    } catch (err) {
      this.#logger.error({ err, seq: h.seq }, 'event listener threw');
    }
    this.#waiters.reached(h.seq);
  }
}
