// The buffer behind `client.headlines()`: bounded, so a consumer that falls behind costs at
// most `highWaterMark` headlines of memory. Past the limit the OLDEST buffered headline is
// dropped (a desk wants the newest) and the drops are reported, one `lag` per delivery batch.
import type { Headline, TickerError } from '../protocol.js';
import type { LagInfo } from './client-types.js';

export const DEFAULT_HIGH_WATER_MARK = 1000;

export class HeadlineQueue implements AsyncIterableIterator<Headline> {
  readonly highWaterMark: number;
  #buffer: Headline[] = [];
  #waiting: { resolve: (r: IteratorResult<Headline>) => void; reject: (e: unknown) => void } | null = null;
  #ended = false;
  #failure: TickerError | null = null;
  #totalDropped = 0;
  #batch: { dropped: number; fromSeq: number; toSeq: number } | null = null;
  readonly #onLag: (info: LagInfo) => void;
  readonly #onReturn: () => void;

  constructor(highWaterMark: number, onLag: (info: LagInfo) => void, onReturn: () => void) {
    if (!Number.isInteger(highWaterMark) || highWaterMark < 1) throw new RangeError('highWaterMark must be a positive integer');
    this.highWaterMark = highWaterMark;
    this.#onLag = onLag;
    this.#onReturn = onReturn;
  }

  push(h: Headline): void {
    if (this.#ended) return;
    if (this.#waiting !== null) {
      const w = this.#waiting;
      this.#waiting = null;
      w.resolve({ value: h, done: false });
      return;
    }
    this.#buffer.push(h);
    if (this.#buffer.length > this.highWaterMark) this.#drop(this.#buffer.shift()!);
  }

  #drop(h: Headline): void {
    this.#totalDropped++;
    if (this.#batch === null) {
      this.#batch = { dropped: 0, fromSeq: h.seq, toSeq: h.seq };
      // One report per synchronous delivery batch (e.g. a 500-headline replay), not per headline.
      queueMicrotask(() => {
        const b = this.#batch!;
        this.#batch = null;
        this.#onLag({ ...b, highWaterMark: this.highWaterMark, totalDropped: this.#totalDropped });
      });
    }
    this.#batch.dropped++;
    this.#batch.toSeq = h.seq;
  }

  /** No more headlines: the consumer drains what is buffered, then the loop ends (or throws `failure`). */
  end(failure: TickerError | null = null): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#failure = failure;
    if (this.#waiting !== null) {
      const w = this.#waiting;
      this.#waiting = null;
      if (failure) w.reject(failure);
      else w.resolve({ value: undefined, done: true });
    }
  }

  get size(): number {
    return this.#buffer.length;
  }

  next(): Promise<IteratorResult<Headline>> {
    const h = this.#buffer.shift();
    if (h !== undefined) return Promise.resolve({ value: h, done: false });
    if (this.#ended) {
      if (this.#failure) {
        const f = this.#failure;
        this.#failure = null;
        return Promise.reject(f);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    if (this.#waiting !== null) return Promise.reject(new Error('headlines(): next() called before the previous one settled'));
    return new Promise((resolve, reject) => (this.#waiting = { resolve, reject }));
  }

  /** `break` out of `for await`: stop buffering and detach from the client. */
  return(): Promise<IteratorResult<Headline>> {
    this.#buffer = [];
    this.end();
    this.#onReturn();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
