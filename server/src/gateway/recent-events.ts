import type { LogEvent } from '../log/log-event.js';

/** The last events a relay emitted, kept in memory for resumes and catch-up. */
export class RecentEvents {
  readonly #capacity: number;
  #ring: LogEvent[] = [];

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  push(ev: LogEvent): void {
    this.#ring.push(ev);
    // Trimmed in batches, not on every push.
    if (this.#ring.length > this.#capacity * 1.25) this.#ring = this.#ring.slice(-this.#capacity);
  }

  clear(): void {
    this.#ring = [];
  }

  /** Events after `seq` (below `lastSeq`, the last one emitted) in order; null when memory does not reach back that far. */
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
