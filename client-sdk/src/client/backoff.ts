/** Reconnect delays: full jitter between `minDelayMs` and an exponentially growing cap. */
export interface BackoffOptions {
  /** shortest wait before a retry (default 500 ms) */
  minDelayMs: number;
  /** longest wait before a retry (default 20 000 ms) */
  maxDelayMs: number;
  /**
   * after a server goodbye (`bye shutdown`, `slow_consumer`, …) the retry waits uniformly between
   * `minDelayMs` and this (default 5 000 ms, at most `maxDelayMs`): a gateway that stops sends
   * all its clients away at once, and they must not all come back in the same instant
   */
  byeSpreadMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { minDelayMs: 500, maxDelayMs: 20_000, byeSpreadMs: 5_000 };

export class Backoff {
  #attempt = 0;
  readonly #min: number;
  readonly #max: number;
  readonly #spread: number;
  readonly #random: () => number;

  constructor(options: Partial<BackoffOptions> = {}, random: () => number = Math.random) {
    this.#min = Math.max(0, options.minDelayMs ?? DEFAULT_BACKOFF.minDelayMs);
    this.#max = Math.max(this.#min, options.maxDelayMs ?? DEFAULT_BACKOFF.maxDelayMs);
    this.#spread = Math.min(this.#max, Math.max(this.#min, options.byeSpreadMs ?? DEFAULT_BACKOFF.byeSpreadMs));
    this.#random = random;
  }

  /**
   * The next delay: uniform in [min, min(max, min·2^(attempt+1))]; each call is one more attempt.
   * The first retry already has a window twice the minimum, so the clients of a crashed gateway
   * (no goodbye) do not all come back at the same millisecond either.
   */
  duration(): number {
    // 2^30 is far past any sane max; capping the exponent keeps the arithmetic finite.
    const cap = Math.min(this.#max, this.#min * 2 ** Math.min(this.#attempt + 1, 30));
    this.#attempt++;
    return this.#between(cap);
  }

  /** The delay after a server goodbye: uniform in [min, byeSpreadMs]; counts as an attempt. */
  spread(): number {
    this.#attempt++;
    return this.#between(this.#spread);
  }

  #between(cap: number): number {
    return Math.round(this.#min + this.#random() * (cap - this.#min));
  }

  /** After a success: the next failure starts from the shortest delay again. */
  reset(): void {
    this.#attempt = 0;
  }

  get attempts(): number {
    return this.#attempt;
  }
}
