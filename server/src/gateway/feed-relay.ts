import { EventEmitter } from 'node:events';
import type { Headline } from '@headline-ticker/sdk/protocol';
import { isCluster, type RedisClient } from '../redis/connection.js';
import type { FeedLog } from '../log/feed-log.js';
import { parseAnnouncement, type LogEvent } from '../log/log-event.js';
import type { Logger } from '../logger.js';
import { RelaySequence } from './relay-sequence.js';
import { catchUp, checkTail, coalesce, prefill, snapshotFromMemory, type CatchUpTarget } from './relay-log-reads.js';

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

/** A relay following the feed (subscribed, caught up to the log's head); its `close()` is idempotent. */
export async function createFeedRelay(options: FeedRelayOptions): Promise<FeedRelay> {
  const relay = new FeedRelay(options);
  try {
    await relay.start();
  } catch (err) {
    await relay.close();
    throw err;
  }
  return relay;
}

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
  readonly #seq: RelaySequence;
  #epoch = '';
  #checking = false;
  /** set on a reconnect until the tail check has passed: nothing is emitted meanwhile */
  #suspect = false;
  readonly #repair = coalesce(
    () => this.#runRepair(),
    () => !this.#closed && this.#started,
  );
  #timer: NodeJS.Timeout | null = null;
  #started = false;
  #closed = false;

  constructor(options: FeedRelayOptions) {
    super();
    this.#sub = options.subscriber;
    this.#sharded = isCluster(options.subscriber);
    this.#log = options.log;
    this.#logger = options.logger;
    this.#seq = new RelaySequence(options.bufferSize ?? 10_000, (ev) => {
      try {
        this.emit('event', ev);
      } catch (err) {
        this.#logger.error({ err, seq: ev.h.seq }, 'event listener threw');
      }
    });
    this.#reconcileMs = options.reconcileIntervalMs ?? 1000;
  }

  /** The feed epoch this relay follows: a client's position is meaningful only within it. */
  get epoch(): string {
    return this.#epoch;
  }

  /** The seq of the last event emitted: this relay is complete up to here. */
  get lastSeq(): number {
    return this.#seq.lastSeq;
  }

  async start(): Promise<void> {
    // In a cluster the feed is announced by sharded pub/sub (SPUBLISH) on its slot's node.
    this.#sub.on(this.#sharded ? 'smessage' : 'message', this.#onMessage);
    // After a reconnect ioredis resubscribes by itself; whatever was announced meanwhile is read
    // from the log.
    this.#sub.on('ready', this.#onReconnect);
    if (this.#sharded) await this.#sub.ssubscribe(this.#log.keys.channel);
    else await this.#sub.subscribe(this.#log.keys.channel);
    const head = await this.#log.currentSeq();
    this.#seq.startAt(head, head > 0 ? await this.#log.idAt(head) : null);
    this.#epoch = await this.#log.epoch();
    await prefill(this.#log, this.#seq.recent, head);
    this.#started = true;
    this.#seq.drainPending();
    // repair() never rejects: a failed read is logged and retried inside it.
    if (this.#seq.held > 0) void this.repair();
    this.#timer = setInterval(this.#reconcile, this.#reconcileMs);
    this.#timer.unref();
  }

  /** The latest `limit` headlines matching as of `upTo` from memory; null when not provably complete. */
  recentSnapshot(match: (h: Headline) => boolean, limit: number, upTo: number): Promise<Headline[] | null> {
    return snapshotFromMemory(this.#log, this.#seq.recent, match, limit, upTo);
  }

  /** The event at `seq` from memory, when it holds it. */
  recentAt(seq: number): LogEvent | undefined {
    return seq <= this.#seq.lastSeq ? this.#seq.recent.at(seq) : undefined;
  }

  /** Events after `seq` from memory, in order; null when memory does not reach back that far. */
  recentAfter(seq: number): LogEvent[] | null {
    return this.#seq.recent.after(seq, this.#seq.lastSeq);
  }

  /** Resolves true once every event up to `seq` has been emitted, false after `timeoutMs`. */
  waitFor(seq: number, timeoutMs: number): Promise<boolean> {
    if (this.#seq.lastSeq >= seq) return Promise.resolve(true);
    void this.repair(); // never rejects (see above); the waiter times out instead
    return this.#seq.wait(seq, timeoutMs);
  }

  /** Read whatever is missing from the log. Coalesces concurrent requests. */
  repair(): Promise<void> {
    return this.#repair();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#sub.off(this.#sharded ? 'smessage' : 'message', this.#onMessage);
    this.#sub.off('ready', this.#onReconnect);
    await this.#repair.running?.catch(() => undefined);
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
      this.#seq.hold(ev);
      return;
    }
    const { seq } = ev.h;
    if (seq <= this.#seq.lastSeq) return;
    if (seq === this.#seq.lastSeq + 1) {
      this.#seq.deliver(ev);
      this.#seq.drainPending();
      return;
    }
    this.#seq.hold(ev);
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
    if (this.#repair.running || this.#closed) return;
    void this.#check();
  };

  /**
   * The tail check (relay-log-reads.ts). A log that went backwards, lost the last emitted event,
   * or moved to another epoch means numbers are being (or will be) handed out again: a new
   * epoch, and clients start afresh.
   */
  async #check(): Promise<void> {
    if (this.#checking || this.#closed || !this.#started) return;
    this.#checking = true;
    try {
      const verdict = await checkTail(this.#log, this.#seq.lastSeq, this.#seq.lastId, this.#epoch);
      // close() may have run during the await; TypeScript's narrowing cannot know that.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (this.#closed) return;
      this.#suspect = false;
      if (verdict.kind === 'lost') {
        this.#epoch = await this.#log.renewEpoch(this.#epoch);
        this.#restart(verdict.head);
      } else if (verdict.kind === 'epoch') {
        this.#epoch = verdict.epoch;
        this.#restart(verdict.head);
      } else if (verdict.head > this.#seq.lastSeq || this.#seq.held > 0) void this.repair();
    } catch {
      // Redis away: the next tick tries again
    } finally {
      this.#checking = false;
    }
  }

  async #runRepair(): Promise<void> {
    try {
      await catchUp(this.#log, this.#catchUpTarget);
    } catch (err) {
      this.#logger.warn({ err: (err as Error).message }, 'feed repair failed; will retry');
      if (!this.#closed) setTimeout(() => void this.repair(), 250).unref();
    }
  }

  readonly #catchUpTarget: CatchUpTarget = {
    lastSeq: () => this.#seq.lastSeq,
    stopped: () => this.#closed || this.#suspect,
    skipTo: (seq) => this.#skipTo(seq),
    deliver: (ev) => this.#seq.deliver(ev),
    drainPending: () => this.#seq.drainPending(),
  };

  /**
   * The log is behind this relay: Redis lost its data (no persistence, a flush) and the feed
   * started again. Follow it from where it is now; the gateway tells its clients to start afresh.
   */
  #restart(seq: number): void {
    this.#logger.error({ from: this.#seq.lastSeq, seq }, 'the feed log went backwards (Redis lost its data): following the new feed');
    const from = this.#seq.restartAt(seq);
    this.emit('restart', { from, seq });
    void this.repair();
  }

  /** Events (lastSeq, seq] left the log before they could be read: report the loss, move on. */
  #skipTo(seq: number): void {
    const gap = this.#seq.skipTo(seq);
    if (gap === null) return;
    this.#logger.error(gap, 'events left the log before this gateway read them');
    this.emit('gap', gap);
  }
}
