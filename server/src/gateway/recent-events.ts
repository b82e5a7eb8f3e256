import type { Headline } from '@headline-ticker/sdk/protocol';
import type { LogEvent } from '../log/log-event.js';

/** The last events a relay emitted, kept in memory for resumes and catch-up. */
export class RecentEvents {
  readonly capacity: number;
  #ring: LogEvent[] = [];

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  push(ev: LogEvent): void {
    this.#ring.push(ev);
    // Trimmed in batches, not on every push.
    if (this.#ring.length > this.capacity * 1.25) this.#ring = this.#ring.slice(-this.capacity);
  }

  clear(): void {
    this.#ring = [];
  }

  /**
   * The latest `limit` headlines matching `match` as of `upTo`, in their current version and
   * withdrawn ones left out, oldest first: what `FeedLog.snapshot` answers from the log. Only
   * events from seq `from` on are looked at. Null when memory cannot prove the answer complete:
   * fewer matches than `limit`, unless `logStart` says the log holds nothing before `from` and
   * the ring reaches back to it. The caller then asks the log.
   */
  snapshot(match: (h: Headline) => boolean, limit: number, upTo: number, from = 0, logStart = false): Headline[] | null {
    const first = this.#ring[0];
    const last = this.#ring.at(-1);
    if (first === undefined || last === undefined || last.h.seq < upTo || upTo < first.h.seq) return null;
    const seen = new Set<string>();
    const found: Headline[] = [];
    const stop = Math.max(0, from - first.h.seq);
    for (let i = this.#ring.length - 1 - (last.h.seq - upTo); i >= stop && found.length < limit; i--) {
      const { h } = this.#ring[i]!;
      if (seen.has(h.id)) continue;
      seen.add(h.id);
      if (h.status !== 'withdrawn' && match(h)) found.push(h);
    }
    if (found.length < limit && (!logStart || first.h.seq > from)) return null;
    return found.reverse();
  }

  /** Events after `seq` (below `lastSeq`, the last one emitted) in order; null when memory does not reach back that far. */
  /** The event at `seq` when memory holds it. */
  at(seq: number): LogEvent | undefined {
    const first = this.#ring[0];
    const ev = first === undefined ? undefined : this.#ring[seq - first.h.seq];
    return ev?.h.seq === seq ? ev : undefined;
  }

  after(seq: number, lastSeq: number): LogEvent[] | null {
    if (seq >= lastSeq) return [];
    const first = this.#ring[0];
    if (first === undefined || first.h.seq > seq + 1) return null;
    return this.#ring.slice(seq + 1 - first.h.seq);
  }
}

/** Callers waiting for a seq to be reached, each with a timeout. */
export class SeqWaiters {
  #waiters: { seq: number; resolve: () => void }[] = [];

  /** Resolves true once `reached` has been called with `seq` or later, false after `timeoutMs`. */
  wait(seq: number, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const waiter = { seq, resolve: () => resolve(true) };
      this.#waiters.push(waiter);
      setTimeout(() => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) {
          this.#waiters.splice(i, 1);
          resolve(false);
        }
      }, timeoutMs).unref();
    });
  }

  reached(seq: number): void {
    if (this.#waiters.length === 0) return;
    const ready = this.#waiters.filter((w) => w.seq <= seq);
    this.#waiters = this.#waiters.filter((w) => w.seq > seq);
    for (const w of ready) w.resolve();
  }
}
