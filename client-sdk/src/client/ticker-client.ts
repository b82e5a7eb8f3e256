// The SDK client: one Socket.IO connection, one subscription, kept alive across disconnects.
// A small state machine (connecting → live ⇄ reconnecting → closed); every transition goes
// through #setState and is announced as one `status` event. Delivery is "never a gap, never
// twice": the client remembers the seq it is complete up to, resubscribes with `since` after
// every reconnect, follows a paged replay to its end, drops anything at or below it, and
// delivers in seq order. Transport: HTTP long-polling first, upgraded to WebSocket when the path
// allows it, so a proxy that refuses or stalls the Upgrade costs nothing but the upgrade.
// Browser-safe: imports socket.io-client and the protocol types only (no zod, no Node modules).
import { io as socketIo } from 'socket.io-client';
import {
  PROTOCOL_VERSION,
  SINCE_AHEAD,
  TickerError,
  type ByeReason,
  type HandshakeAuth,
  type Headline,
  type HistoryResponse,
  type SubscribeAck,
  type SubscribeOk,
  type SubscribeRequest,
} from '../protocol.js';
import { Backoff } from './backoff.js';
import { fromAckError, fromConnectError, fromHttpError, isFatal, overloadedWaitMs, toTickerError } from './client-errors.js';
import type {
  FetchLike,
  FilterUpdate,
  HeadlinesOptions,
  HistoryRequest,
  SocketFactory,
  StatusReason,
  TickerClientEvents,
  TickerClientOptions,
  TickerSocket,
  TickerStatus,
} from './client-types.js';
import { DEFAULT_HIGH_WATER_MARK, HeadlineQueue } from './headline-queue.js';
import { TypedEmitter } from './typed-emitter.js';

export const DEFAULT_ACK_TIMEOUT_MS = 10_000;

/**
 * Polling first, then the upgrade. The handshake is one plain HTTP request that every proxy
 * passes, so the first headline never waits for a WebSocket that a proxy refuses or, worse,
 * never answers (socket.io-client has no timeout for that: websocket-first would wait for the
 * connect `timeout`, 20 s). The upgrade is probed in the background and taken when it works.
 */
export const DEFAULT_TRANSPORTS = ['polling', 'websocket'] as const;

function isAbsoluteUrl(s: string): boolean {
  // Not URL.canParse: older browsers (Safari < 17) lack it.
  try {
    return /^https?:$/u.test(new URL(s).protocol);
  } catch {
    return false;
  }
}

const isSinceAhead = (details: unknown): boolean =>
  typeof details === 'object' && details !== null && (details as { reason?: unknown }).reason === SINCE_AHEAD;

/** A subscribe answer that came from a socket this client has since dropped. */
class StaleConnection extends Error {}

export class TickerClient extends TypedEmitter<TickerClientEvents> {
  readonly #url: string;
  readonly #key: string;
  readonly #auth: HandshakeAuth;
  readonly #options: TickerClientOptions;
  readonly #io: SocketFactory;
  readonly #fetch: FetchLike | undefined;
  readonly #backoff: Backoff;
  readonly #ackTimeoutMs: number;

  #status: TickerStatus = 'connecting';
  #filter: FilterUpdate;
  /** the feed epoch #cursor belongs to; null before the first answer (or from an older server) */
  #epoch: string | null = null;
  /** the seq this client is complete up to for its filter; null before the first answer */
  #cursor: number | null = null;
  /** the last headline delivered, sent with a resume so the server can tell reused numbers */
  #lastSeen: { seq: number; id: string } | null = null;
  /** set to the old position when the feed turned out to have started again */
  #feedRestarted: number | null = null;
  /** set to the old position when a gap longer than a page is answered with a snapshot (catchUp: 'snapshot') */
  #gapFrom: number | null = null;
  #ignoreSinceOption = false;
  /** the current connection; bumping it makes every callback of an older socket a no-op */
  #generation = 0;
  #socket: TickerSocket | null = null;
  /** `bye` reason the server sent on the current socket, read when it disconnects */
  #bye: ByeReason | null = null;
  /** the wait the server asked for with its `bye` (its own jitter), if any */
  #byeWaitMs: number | null = null;
  /** subscribes awaiting their answer on the current socket; live events wait while > 0 */
  #inflight = 0;
  #pendingLive: Headline[] = [];
  #abortAcks = new Set<(err: Error) => void>();
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #fatal: TickerError | null = null;
  #queues = new Set<HeadlineQueue>();
  #closing: Promise<void> | null = null;

  constructor(options: TickerClientOptions) {
    super();
    if (typeof options.url !== 'string' || !isAbsoluteUrl(options.url)) {
      throw new TickerError(
        'bad_request',
        `TickerClient: \`url\` must be an absolute URL like http://localhost:8080 (got ${JSON.stringify(options.url)})`,
      );
    }
    const credential = options.key ?? options.token;
    if (typeof credential !== 'string' || credential === '' || (options.key !== undefined && options.token !== undefined)) {
      throw new TickerError('bad_request', 'TickerClient: give `key` (or an editor `token`), not both');
    }
    this.#url = options.url.replace(/\/+$/u, '');
    this.#key = credential;
    this.#auth = options.key !== undefined ? { key: options.key } : { token: credential };
    this.#options = options;
    this.#io = options.io ?? socketIo;
    this.#fetch = options.fetch;
    this.#backoff = new Backoff(options.reconnect);
    this.#ackTimeoutMs = options.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS;
    this.#filter = { topics: options.topics, symbols: options.symbols };
    // Connect on the next microtask, so listeners added right after `new` see everything.
    queueMicrotask(() => this.#open());
  }

  get status(): TickerStatus {
    return this.#status;
  }

  /** The seq the client is complete up to (pass it as `since` to resume later); null before the first answer. */
  get lastSeq(): number | null {
    return this.#cursor;
  }

  /** Resolves once live; rejects when the client closes first (with the fatal error) or after `timeoutMs`. */
  ready(timeoutMs?: number): Promise<void> {
    if (this.#status === 'live') return Promise.resolve();
    if (this.#status === 'closed') return Promise.reject(this.#closedError());
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | null = null;
      const off = this.on('status', ({ status }) => {
        if (status !== 'live' && status !== 'closed') return;
        off();
        if (timer !== null) clearTimeout(timer);
        if (status === 'live') resolve();
        else reject(this.#closedError());
      });
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          off();
          reject(new TickerError('unavailable', `not live within ${timeoutMs} ms (status: ${this.#status})`));
        }, timeoutMs);
      }
    });
  }

  /**
   * Changes the filter without reconnecting: resubscribes with `since`, so nothing already
   * delivered comes again. When not connected, the filter applies at the next connect.
   * Rejects (and keeps the old filter) when the server refuses it.
   */
  async update(filter: FilterUpdate): Promise<void> {
    if (this.#status === 'closed') throw this.#closedError();
    const previous = this.#filter;
    this.#filter = { topics: filter.topics, symbols: filter.symbols };
    const socket = this.#socket;
    if (socket === null || !socket.connected) return;
    try {
      await this.#subscribe(socket, this.#generation);
    } catch (err) {
      // The connection dropped meanwhile: the reconnect subscribes with the new filter.
      if (err instanceof StaleConnection) return;
      const e = toTickerError(err, 'unavailable');
      if (e.code === 'bad_request' || e.code === 'forbidden') this.#filter = previous;
      throw e;
    }
  }

  /**
   * `GET /api/headlines` with this client's key: backfill or history, filtered. With `since` the
   * server pages its answer (`more`): pages are followed until `limit` events arrived, or to the
   * end with `all: true`; otherwise one page comes back and `more` says whether another follows
   * (`since: answer.seq`). A page that comes back `reset` (the log moved past the read) ends the
   * read with that fresh snapshot.
   */
  async history(request: HistoryRequest = {}): Promise<HistoryResponse> {
    let answer = await this.#historyPage(request, request.limit);
    if (request.since === undefined) return answer;
    const wanted = request.limit ?? (request.all === true ? Infinity : answer.headlines.length);
    const headlines = [...answer.headlines];
    while (answer.more === true && answer.reset !== true && headlines.length < wanted) {
      const since = answer.seq;
      const remaining = wanted - headlines.length;
      answer = await this.#historyPage({ ...request, since }, Number.isFinite(remaining) ? remaining : undefined);
      if (answer.reset === true) return answer;
      if (answer.seq <= since && answer.more === true)
        throw new TickerError('internal', `the server paged history without progress (since ${since})`);
      headlines.push(...answer.headlines);
    }
    const { more, reset } = answer;
    return { headlines, seq: answer.seq, ...(reset === true ? { reset } : {}), ...(more === true ? { more } : {}) };
  }

  async #historyPage(request: HistoryRequest, limit: number | undefined): Promise<HistoryResponse> {
    const params = new URLSearchParams();
    if (request.since !== undefined) params.set('since', String(request.since));
    if (limit !== undefined) params.set('limit', String(limit));
    const topics = request.topics ?? this.#filter.topics;
    const symbols = request.symbols ?? this.#filter.symbols;
    if (topics !== undefined && topics.length > 0) params.set('topics', topics.join(','));
    if (symbols !== undefined && symbols.length > 0) params.set('symbols', symbols.join(','));
    // Older runtimes have no global fetch: the check below says so instead of a TypeError.
    const doFetch = this.#fetch ?? (globalThis as { fetch?: FetchLike }).fetch;
    if (doFetch === undefined) throw new TickerError('internal', 'history(): no fetch available; pass one as the `fetch` option');
    const query = params.toString();
    let res: Awaited<ReturnType<FetchLike>>;
    try {
      res = await doFetch(`${this.#url}/api/headlines${query ? `?${query}` : ''}`, {
        headers: { authorization: `Bearer ${this.#key}`, accept: 'application/json' },
        ...(request.signal ? { signal: request.signal } : {}),
      });
    } catch (err) {
      throw new TickerError('unavailable', `cannot reach the ticker: ${(err as Error).message}`, { cause: err });
    }
    const body: unknown = await res.json().catch(() => null);
    if (!res.ok) throw fromHttpError(res.status, body);
    const answer = body as HistoryResponse | null;
    if (answer === null || !Array.isArray(answer.headlines) || typeof answer.seq !== 'number') {
      throw new TickerError('internal', 'the server answered history with an unexpected body');
    }
    return answer;
  }

  /**
   * The same stream as the `headline` event, as an async iterator with a bounded buffer.
   * Past `highWaterMark` the oldest buffered headlines are dropped and `lag` says how many.
   * The loop ends after close() (having drained the buffer), or throws the fatal error.
   */
  headlines(options: HeadlinesOptions = {}): AsyncIterableIterator<Headline> {
    const queue = new HeadlineQueue(
      options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK,
      (info) => this.emit('lag', info),
      () => this.#queues.delete(queue),
    );
    if (this.#status === 'closed') queue.end(this.#fatal);
    else this.#queues.add(queue);
    return queue;
  }

  /** Stops for good: cancels timers, closes the socket, ends iterators. Idempotent; resolves promptly. */
  close(): Promise<void> {
    if (this.#closing === null) {
      // Synchronous: once close() returns, status is `closed` and no timer or socket is left.
      if (this.#status !== 'closed') {
        this.#dropSocket();
        this.#setState('closed', 'client_closed');
        this.#endQueues(null);
      }
      this.#closing = Promise.resolve();
    }
    return this.#closing;
  }

  protected override onListenerError(event: keyof TickerClientEvents, err: unknown): void {
    // An `error` listener that throws has nowhere left to report to; the client goes on.
    if (event === 'error') return;
    const message = err instanceof Error ? err.message : String(err);
    this.emit('error', new TickerError('internal', `a "${event}" listener threw: ${message}`, { cause: err }));
  }

  // --- connection ---------------------------------------------------------------------------

  #open(): void {
    if (this.#status === 'closed') return;
    const generation = ++this.#generation;
    const { transports, ...socketOptions } = this.#options.socketOptions ?? {};
    // The socket.io URL's path is a namespace, so the origin alone: the feed is on "/".
    const socket = this.#io(new URL(this.#url).origin, {
      forceNew: true,
      ...socketOptions,
      transports: transports ?? [...DEFAULT_TRANSPORTS],
      // Reconnects are ours (backoff, resume with since), one fresh socket each time.
      reconnection: false,
      auth: { ...this.#auth, v: PROTOCOL_VERSION } satisfies HandshakeAuth,
    });
    this.#socket = socket;
    this.#bye = null;
    this.#byeWaitMs = null;
    this.#inflight = 0;
    this.#pendingLive = [];
    const current = () => generation === this.#generation;

    socket.on('connect', () => {
      if (current()) void this.#onConnect(socket, generation);
    });
    socket.on('connect_error', (err) => {
      if (!current()) return;
      this.#dropSocket();
      const e = fromConnectError(err);
      if (isFatal(e)) return this.#fail(e, 'unauthorized');
      if (e.code !== 'unavailable') this.emit('error', e);
      // An overloaded gateway says how long to stay away; the jitter keeps its refused clients
      // from all coming back in the same instant.
      const wait = overloadedWaitMs(e);
      this.#retry('connect_failed', e, wait === null ? undefined : wait + this.#backoff.spread());
    });
    socket.on('headline', (h) => {
      if (current()) this.#onLive(h);
    });
    socket.on('bye', (info) => {
      if (current()) {
        this.#bye = info.reason;
        // The server spreads its clients' returns itself; capped, so a wrong hint cannot park us.
        this.#byeWaitMs = typeof info.retryAfterMs === 'number' && info.retryAfterMs >= 0 ? Math.min(info.retryAfterMs, 60_000) : null;
      }
    });
    socket.on('disconnect', () => {
      if (!current()) return;
      const bye = this.#bye;
      this.#dropSocket();
      if (bye === 'revoked') return this.#fail(new TickerError('unauthorized', 'the key was revoked', { details: { bye } }), 'revoked');
      // Any other goodbye (shutdown, slow_consumer, too_many_connections): back, resuming, after
      // a random delay: the server sent everyone away at once, and they must not return at once.
      if (bye !== null) return this.#retry(bye, undefined, this.#byeWaitMs ?? this.#backoff.spread());
      this.#retry('connection_lost');
    });
  }

  async #onConnect(socket: TickerSocket, generation: number): Promise<void> {
    try {
      await this.#subscribe(socket, generation);
    } catch (err) {
      if (err instanceof StaleConnection || generation !== this.#generation) return;
      const e = toTickerError(err, 'unavailable');
      this.#dropSocket();
      if (isFatal(e)) return this.#fail(e, e.code === 'unauthorized' ? 'unauthorized' : 'refused');
      if (e.code !== 'unavailable') this.emit('error', e);
      return this.#retry('subscribe_failed', e);
    }
    if (generation !== this.#generation) return;
    this.#backoff.reset();
    this.#setState('live');
  }

  /**
   * Subscribes on `socket`, resuming after the cursor, and follows a paged replay (`more`) to its
   * end: each page is applied in seq order and moves the cursor, so a connection lost half-way
   * resumes from the last page. Live events wait until the last page is in.
   */
  async #subscribe(socket: TickerSocket, generation: number): Promise<void> {
    this.#inflight++;
    // A snapshot asked for on an earlier connection that never answered is asked for again below.
    this.#gapFrom = null;
    try {
      let request = this.#firstRequest();
      for (;;) {
        const ack = await this.#emitSubscribe(socket, request);
        if (generation !== this.#generation) throw new StaleConnection();
        if (!ack.ok && request.since !== undefined && isSinceAhead(ack.error.details)) {
          // The feed is behind what this client was told to resume after: it started again (its
          // Redis lost its data). Forget the old position and start afresh, announced as a reset.
          this.#cursor = null;
          this.#lastSeen = null;
          this.#feedRestarted = request.since;
          this.#ignoreSinceOption = true;
          request = this.#firstRequest();
          continue;
        }
        if (!ack.ok) throw fromAckError(ack.error);
        if (ack.more === true && request.since !== undefined && this.#options.catchUp === 'snapshot') {
          // A gap longer than a page, and a client that shows only the newest few: a fresh
          // snapshot instead of paging through the backlog, announced as a reset.
          this.#gapFrom = request.since;
          request = this.#snapshotRequest();
          continue;
        }
        this.#applyAnswer(ack, request.since ?? this.#feedRestarted ?? this.#gapFrom ?? undefined);
        if (ack.more !== true) break;
        if (ack.seq <= (request.since ?? -1))
          throw new TickerError('internal', `the server paged without progress (since ${request.since}, seq ${ack.seq})`);
        request = this.#resumeRequest(ack.seq);
      }
    } finally {
      if (generation === this.#generation) this.#inflight--;
    }
    if (this.#inflight === 0) this.#flushLive();
  }

  #filterRequest(): SubscribeRequest {
    const request: SubscribeRequest = {};
    if (this.#filter.topics !== undefined) request.topics = this.#filter.topics;
    if (this.#filter.symbols !== undefined) request.symbols = this.#filter.symbols;
    return request;
  }

  #snapshotRequest(): SubscribeRequest {
    const request = this.#filterRequest();
    if (this.#options.limit !== undefined) request.limit = this.#options.limit;
    return request;
  }

  /**
   * After `since`, with the epoch that position belongs to: if the feed's numbers were reused
   * since, the server answers with a reset instead of a replay of other headlines.
   */
  #resumeRequest(since: number): SubscribeRequest {
    const request: SubscribeRequest = { ...this.#filterRequest(), since };
    if (this.#epoch !== null) request.epoch = this.#epoch;
    if (this.#lastSeen !== null && this.#lastSeen.seq <= since) request.lastSeen = this.#lastSeen;
    return request;
  }

  /** Resume after the cursor; else the `since` option (first connect only); else a snapshot. */
  #firstRequest(): SubscribeRequest {
    if (this.#cursor !== null) return this.#resumeRequest(this.#cursor);
    if (this.#options.since !== undefined && !this.#ignoreSinceOption) return { ...this.#filterRequest(), since: this.#options.since };
    return this.#snapshotRequest();
  }

  #emitSubscribe(socket: TickerSocket, request: SubscribeRequest): Promise<SubscribeAck> {
    return new Promise((resolve, reject) => {
      const settle = (fn: () => void) => {
        clearTimeout(timer);
        this.#abortAcks.delete(abort);
        fn();
      };
      const abort = (err: Error) => settle(() => reject(err));
      const timer = setTimeout(
        () => abort(new TickerError('unavailable', `no answer to subscribe within ${this.#ackTimeoutMs} ms`)),
        this.#ackTimeoutMs,
      );
      this.#abortAcks.add(abort);
      socket.emit('subscribe', request, (ack) => settle(() => resolve(ack)));
    });
  }

  #applyAnswer(ack: SubscribeOk, since: number | undefined): void {
    let epochChanged = false;
    if (ack.epoch !== undefined) {
      // Another epoch: the feed started again and positions from the old one mean nothing.
      if (this.#epoch !== null && ack.epoch !== this.#epoch) epochChanged = true;
      this.#epoch = ack.epoch;
    }
    // Or the server found the numbers reused under the last headline this client saw.
    if (epochChanged || ack.feedRestarted === true) {
      this.#cursor = null;
      this.#lastSeen = null;
      epochChanged = true;
    }
    if (ack.reset || this.#feedRestarted !== null || this.#gapFrom !== null || epochChanged) {
      const restarted = this.#feedRestarted !== null || epochChanged;
      this.emit('reset', { headlines: ack.headlines, seq: ack.seq, since: since ?? 0, ...(restarted ? { feedRestarted: true } : {}) });
      this.#feedRestarted = null;
      this.#gapFrom = null;
    }
    for (const h of ack.headlines) this.#deliver(h);
    // Complete up to ack.seq for this filter, whether or not anything matched.
    this.#cursor = Math.max(this.#cursor ?? 0, ack.seq);
  }

  #onLive(h: Headline): void {
    // Live events that arrive while a subscribe is answered wait for its answer (they follow it).
    if (this.#inflight > 0 || this.#cursor === null) this.#pendingLive.push(h);
    else this.#deliver(h);
  }

  #flushLive(): void {
    const pending = this.#pendingLive.sort((a, b) => a.seq - b.seq);
    this.#pendingLive = [];
    for (const h of pending) this.#deliver(h);
  }

  /** The one place a headline reaches the application: never at or below the cursor. */
  #deliver(h: Headline): void {
    if (this.#cursor !== null && h.seq <= this.#cursor) return;
    this.#cursor = h.seq;
    this.#lastSeen = { seq: h.seq, id: h.id };
    this.emit('headline', h);
    for (const q of this.#queues) q.push(h);
  }

  #retry(reason: StatusReason, error?: TickerError, delayMs?: number): void {
    if (this.#status === 'closed') return;
    this.#setState('reconnecting', reason, error);
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#open();
    }, delayMs ?? this.#backoff.duration());
  }

  #fail(error: TickerError, reason: StatusReason): void {
    if (this.#status === 'closed') return;
    this.#fatal = error;
    this.#dropSocket();
    this.emit('error', error);
    this.#setState('closed', reason, error);
    this.#endQueues(error);
  }

  /** Forgets the current socket: its callbacks become no-ops, its pending answers are abandoned. */
  #dropSocket(): void {
    this.#generation++;
    if (this.#retryTimer !== null) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = null;
    }
    for (const abort of [...this.#abortAcks]) abort(new StaleConnection());
    this.#inflight = 0;
    this.#pendingLive = [];
    const socket = this.#socket;
    this.#socket = null;
    if (socket !== null) {
      socket.off();
      socket.disconnect();
    }
  }

  #endQueues(failure: TickerError | null): void {
    for (const q of this.#queues) q.end(failure);
    this.#queues.clear();
  }

  #closedError(): TickerError {
    return this.#fatal ?? new TickerError('unavailable', 'the client is closed');
  }

  #setState(status: TickerStatus, reason?: StatusReason, error?: TickerError): void {
    if (status === this.#status) return;
    const previous = this.#status;
    this.#status = status;
    this.emit('status', {
      status,
      previous,
      ...(reason !== undefined ? { reason } : {}),
      ...(error !== undefined ? { error } : {}),
    });
  }
}
