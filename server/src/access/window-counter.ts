import type { RetryAfter } from './limits.js';

/** Whole seconds to wait for `ms` to pass, at least 1 (what `Retry-After` and the acks say). */
export const secondsToWait = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

interface Window {
  count: number;
  resetAt: number;
}

/**
 * "At most `points` per `durationMs`" per key, in this process's memory, answered synchronously:
 * the per-socket and per-address limits run on every subscribe and every socket message, so they
 * cost a map lookup, not a promise, a result object and a timer per key. Each key's window starts
 * at its first hit (as rate-limiter-flexible's memory limiter counts); hits over the limit still
 * count. Expired keys are swept at most once per window, so memory follows the keys active in the
 * last window, whatever a client invents.
 */
export class WindowCounter {
  readonly #points: number;
  readonly #durationMs: number;
  readonly #now: () => number;
  readonly #windows = new Map<string, Window>();
  #nextSweep: number;

  constructor(points: number, durationMs: number, now: () => number = Date.now) {
    this.#points = points;
    this.#durationMs = durationMs;
    this.#now = now;
    this.#nextSweep = now() + durationMs;
  }

  /** Counts one hit for `key`: null when within the limit, else the seconds until its window ends. */
  take(key: string): RetryAfter {
    const now = this.#now();
    if (now >= this.#nextSweep) this.#sweep(now);
    let w = this.#windows.get(key);
    if (w === undefined || now >= w.resetAt) {
      w = { count: 0, resetAt: now + this.#durationMs };
      this.#windows.set(key, w);
    }
    w.count++;
    return w.count <= this.#points ? null : secondsToWait(w.resetAt - now);
  }

  /** Keys with a live window (for tests and metrics). */
  get size(): number {
    return this.#windows.size;
  }

  #sweep(now: number): void {
    for (const [key, w] of this.#windows) if (now >= w.resetAt) this.#windows.delete(key);
    this.#nextSweep = now + this.#durationMs;
  }
}
