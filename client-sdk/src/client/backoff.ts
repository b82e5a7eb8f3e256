/** Reconnect delays: full jitter between `minDelayMs` and an exponentially growing cap. */
export interface BackoffOptions {
  /** shortest wait before a retry (default 500 ms) */
  minDelayMs: number;
  /** longest wait before a retry (default 20 000 ms) */
  maxDelayMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { minDelayMs: 500, maxDelayMs: 20_000 };

export class Backoff {
  #attempt = 0;
  readonly #min: number;
  readonly #max: number;
  readonly #random: () => number;

  constructor(options: Partial<BackoffOptions> = {}, random: () => number = Math.random) {
    this.#min = Math.max(0, options.minDelayMs ?? DEFAULT_BACKOFF.minDelayMs);
    this.#max = Math.max(this.#min, options.maxDelayMs ?? DEFAULT_BACKOFF.maxDelayMs);
    this.#random = random;
  }

  /** The next delay: uniform in [min, min(max, min·2^attempt)]; each call is one more attempt. */
  duration(): number {
    // 2^30 is far past any sane max; capping the exponent keeps the arithmetic finite.
    const cap = Math.min(this.#max, this.#min * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
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
