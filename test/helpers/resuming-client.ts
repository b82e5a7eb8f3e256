import { io } from 'socket.io-client';
import type { Headline, SubscribeAck } from '@headline-ticker/sdk/protocol';
import type { TestSocket } from './clients.js';

/**
 * A deliberately plain desk client for fault tests, written against the wire protocol only:
 * on every (re)connect it subscribes with `since` = the last seq it has, tries the gateways in
 * turn, and records what the server sent so a test can check the server's side of the promise
 * (no duplicate and no reordering within one subscription) as well as the end result.
 */
export class ResumingClient {
  /** every headline kept, after dropping seq <= last (what an application would see) */
  readonly delivered: Headline[] = [];
  /** server-side violations: a seq not above the previous one within one subscription */
  readonly violations: string[] = [];
  /** how many times the client (re)subscribed */
  subscriptions = 0;
  /** how many subscribe answers it had: more than `subscriptions` when replays were paged */
  pages = 0;
  /** how many times its connection was lost (a failed connect attempt not counted) */
  disconnects = 0;
  /** why each failed attempt failed (connect errors, refused subscribes), for a failing test to print */
  readonly failures: string[] = [];
  #last = 0;
  #urls: string[];
  #turn: number;
  #socket: TestSocket | null = null;
  #closed = false;
  #waiters: { seq: number; resolve: () => void }[] = [];

  constructor(
    urls: string[],
    readonly key: string,
    first = 0,
    /** `['polling']`: a long-polling-only client, for sticky-session tests */
    readonly transports: ('websocket' | 'polling')[] = ['websocket'],
  ) {
    this.#urls = urls;
    this.#turn = first;
  }

  get lastSeq(): number {
    return this.#last;
  }

  start(): void {
    this.#connect();
  }

  /** Resolves when the client has everything up to `seq`. */
  reach(seq: number, timeoutMs = 60_000): Promise<void> {
    if (this.#last >= seq) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`client stuck at seq ${this.#last}, wanted ${seq}`)), timeoutMs);
      this.#waiters.push({ seq, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  close(): void {
    this.#closed = true;
    this.#socket?.close();
  }

  #connect(): void {
    if (this.#closed) return;
    const url = this.#urls[this.#turn % this.#urls.length]!;
    const socket: TestSocket = io(url, {
      auth: { key: this.key },
      transports: this.transports,
      reconnection: false,
      forceNew: true,
      timeout: 2000,
    });
    this.#socket = socket;
    let acked = false;
    let subscriptionLast = -1;
    const pending: Headline[] = [];
    const take = (h: Headline) => {
      if (h.seq <= subscriptionLast) this.violations.push(`seq ${h.seq} after ${subscriptionLast} on ${url}`);
      subscriptionLast = h.seq;
      if (h.seq <= this.#last) return;
      this.#last = h.seq;
      this.delivered.push(h);
      this.#waiters = this.#waiters.filter((w) => (w.seq <= this.#last ? (w.resolve(), false) : true));
    };
    const retry = () => {
      socket.removeAllListeners();
      socket.close();
      if (this.#closed) return;
      this.#turn++;
      setTimeout(() => this.#connect(), 50);
    };
    // A replay longer than a page comes with `more`: the client asks again from the page's `seq`
    // (same filter) until the last page, which joins live delivery.
    const subscribe = (since: number) =>
      socket.emit('subscribe', { since }, (ack: SubscribeAck) => {
        if (!ack.ok) {
          this.failures.push(`subscribe: ${JSON.stringify(ack)}`);
          return retry();
        }
        this.pages++;
        for (const h of ack.headlines) take(h);
        subscriptionLast = Math.max(subscriptionLast, ack.seq);
        if (ack.more === true) return subscribe(ack.seq);
        acked = true;
        for (const h of pending.splice(0)) take(h);
      });
    socket.on('connect', () => {
      this.subscriptions++;
      subscriptionLast = this.#last;
      subscribe(this.#last);
    });
    socket.on('headline', (h) => (acked ? take(h) : pending.push(h)));
    socket.on('disconnect', () => {
      this.disconnects++;
      retry();
    });
    socket.on('connect_error', (err) => {
      this.failures.push(`connect_error: ${err.message}${'description' in err ? ` ${JSON.stringify(err.description)}` : ''}`);
      retry();
    });
  }
}
