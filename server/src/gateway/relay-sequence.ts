// The relay's position in the feed: the last seq emitted (and its id), the recent events kept in
// memory, the announcements held until the ones before them arrive, and who waits for a seq.
// Everything here is synchronous bookkeeping; feed-relay.ts decides when to read, check or skip.
import type { LogEvent } from '../log/log-event.js';
import { RecentEvents, SeqWaiters } from './recent-events.js';

/** Held announcements are only a saving (the log has them too): past this many, more are dropped. */
const MAX_PENDING = 50_000;

export class RelaySequence {
  #lastSeq = 0;
  /** the id of the headline at lastSeq, to tell whether the log still holds what was emitted */
  #lastId: string | null = null;
  readonly recent: RecentEvents;
  readonly #pending = new Map<number, LogEvent>();
  readonly #waiters = new SeqWaiters();
  readonly #emit: (ev: LogEvent) => void;

  /** `emit` is called for each event in seq order, exactly once. */
  constructor(bufferSize: number, emit: (ev: LogEvent) => void) {
    this.recent = new RecentEvents(bufferSize);
    this.#emit = emit;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  get lastId(): string | null {
    return this.#lastId;
  }

  get held(): number {
    return this.#pending.size;
  }

  /** Where a relay starts: the log's head and the id logged there. */
  startAt(seq: number, id: string | null): void {
    this.#lastSeq = seq;
    this.#lastId = id;
  }

  hold(ev: LogEvent): void {
    if (this.#pending.size < MAX_PENDING) this.#pending.set(ev.h.seq, ev);
  }

  deliver(ev: LogEvent): void {
    const h = ev.h;
    this.#lastSeq = h.seq;
    this.#lastId = h.id;
    this.recent.push(ev);
    this.#emit(ev);
    this.#waiters.reached(h.seq);
  }

  /** Emits the held events that now follow on, and forgets those already passed. */
  drainPending(): void {
    for (;;) {
      const next = this.#pending.get(this.#lastSeq + 1);
      if (next === undefined) break;
      this.#pending.delete(next.h.seq);
      this.deliver(next);
    }
    for (const seq of this.#pending.keys()) if (seq <= this.#lastSeq) this.#pending.delete(seq);
  }

  /** Moves past (lastSeq, seq], which left the log unread: the gap, or null when nothing is skipped. */
  skipTo(seq: number): { from: number; to: number } | null {
    if (seq <= this.#lastSeq) return null;
    const gap = { from: this.#lastSeq + 1, to: seq };
    this.#lastSeq = seq;
    this.#lastId = null;
    this.recent.clear();
    return gap;
  }

  /** Follows a feed that started again at `seq`: memory and held events are of the old one. */
  restartAt(seq: number): number {
    const from = this.#lastSeq;
    this.#lastSeq = seq;
    this.#lastId = null;
    this.recent.clear();
    this.#pending.clear();
    return from;
  }

  /** Resolves true once `seq` has been emitted, false after `timeoutMs`. */
  wait(seq: number, timeoutMs: number): Promise<boolean> {
    return this.#waiters.wait(seq, timeoutMs);
  }
}
