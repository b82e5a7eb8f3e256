import { io, type Socket } from 'socket.io-client';
import type {
  ClientToServerEvents,
  Headline,
  ServerToClientEvents,
  SubscribeAck,
  SubscribeRequest,
} from '@headline-ticker/sdk/protocol';
import type { FeedRequest, FeedSink, FeedSource, FeedStatus } from './feed-source.js';
import { sameFilter, unionFilter, type WidgetFilter } from './widget-filter.js';

type TickerSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** The server caps a snapshot at this many headlines (SUBSCRIBE_LIMIT_MAX). */
const SNAPSHOT_MAX = 500;
const ACK_TIMEOUT_MS = 10_000;
const RETRY_MIN_MS = 2_000;
const RETRY_MAX_MS = 60_000;

interface Member {
  readonly filter: WidgetFilter;
  readonly limit: number;
  readonly sink: FeedSink;
}

/**
 * One Socket.IO connection shared by every widget on the page with the same server and key.
 * The server's `subscribe` replaces a socket's filter, so the connection subscribes with the
 * union of its widgets' filters and each widget keeps what matches its own. A new widget asks
 * for a snapshot (every widget is reset from it); a reconnect resumes with `since` and gets
 * exactly the events it missed; events are deduplicated by `seq`.
 */
class SharedConnection {
  readonly #members = new Set<Member>();
  readonly #socket: TickerSocket;
  readonly #onEmpty: () => void;
  #status: FeedStatus = 'connecting';
  /** the feed seq this connection is complete up to */
  #last: number | undefined;
  /** what the socket is subscribed with */
  #subscribed: { filter: WidgetFilter; limit: number } | null = null;
  #needsSnapshot = true;
  #inFlight = false;
  #again = false;
  #syncQueued = false;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #retries = 0;
  #closed = false;

  constructor(server: string, key: string, onEmpty: () => void) {
    this.#onEmpty = onEmpty;
    // forceNew: Socket.IO would otherwise hand two keys on one server the same socket.
    this.#socket = io(server, { auth: { key }, transports: ['websocket'], forceNew: true });
    const s = this.#socket;
    s.on('connect', () => {
      this.#retries = 0;
      this.#subscribed = null;
      this.#sync();
    });
    s.on('headline', (h) => this.#event(h));
    s.on('disconnect', (reason) => {
      if (this.#closed) return;
      this.#setStatus('unavailable');
      // The server ended it (a `bye`): Socket.IO does not come back by itself then.
      if (reason === 'io server disconnect') this.#retryLater();
    });
    s.on('connect_error', (err) => {
      if (s.active) return this.#setStatus('unavailable'); // Socket.IO retries with backoff
      if (err.message === 'unauthorized') return this.#setStatus('refused');
      this.#setStatus('unavailable');
      this.#retryLater(); // too_many_connections, rate_limited: refused for now, not for good
    });
    s.on('bye', ({ reason }) => {
      if (reason === 'revoked') {
        this.#closed = true;
        this.#setStatus('refused');
        s.close();
      }
    });
  }

  attach(filter: WidgetFilter, limit: number, sink: FeedSink): () => void {
    const member: Member = { filter, limit, sink };
    this.#members.add(member);
    this.#needsSnapshot = true;
    sink.status(this.#status);
    this.#queueSync();
    return () => {
      this.#members.delete(member);
      // A widget moved in the DOM detaches and re-attaches in one task: close only if it stays empty.
      if (this.#members.size === 0) queueMicrotask(() => this.#members.size === 0 && this.close());
    };
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#socket.close();
    this.#onEmpty();
  }

  /** Many widgets attach in one task at page load: one subscribe for all of them. */
  #queueSync(): void {
    if (this.#syncQueued) return;
    this.#syncQueued = true;
    queueMicrotask(() => {
      this.#syncQueued = false;
      if (this.#socket.connected) this.#sync();
    });
  }

  #sync(): void {
    if (this.#closed || this.#members.size === 0) return;
    if (this.#inFlight) {
      this.#again = true;
      return;
    }
    const filter = unionFilter([...this.#members].map((m) => m.filter));
    let limit = 0;
    for (const m of this.#members) limit += m.limit;
    limit = Math.min(limit, SNAPSHOT_MAX);
    const resume = !this.#needsSnapshot && this.#last !== undefined;
    if (resume && this.#subscribed !== null && sameFilter(this.#subscribed.filter, filter)) return;
    const request: SubscribeRequest = { topics: [...filter.topics], symbols: [...filter.symbols] };
    if (resume) request.since = this.#last;
    else request.limit = limit;
    this.#inFlight = true;
    this.#again = false;
    this.#needsSnapshot = false;
    this.#socket
      .timeout(ACK_TIMEOUT_MS)
      .emitWithAck('subscribe', request)
      .then(
        (ack) => this.#acked(request, ack, filter, limit),
        () => {
          // No answer: the connection is stuck or gone; reconnecting resubscribes.
          this.#needsSnapshot ||= !resume;
          this.#setStatus('unavailable');
        },
      )
      .finally(() => {
        this.#inFlight = false;
        if (this.#again && this.#socket.connected) this.#sync();
      });
  }

  #acked(request: SubscribeRequest, ack: SubscribeAck, filter: WidgetFilter, limit: number): void {
    if (this.#closed) return;
    if (!ack.ok) {
      // A `since` the server cannot serve: start over from a snapshot; anything else, retry later.
      this.#needsSnapshot = true;
      if (request.since !== undefined && ack.error.code === 'bad_request') this.#again = true;
      else {
        this.#setStatus('unavailable');
        this.#retryLater();
      }
      return;
    }
    this.#subscribed = { filter, limit };
    if (request.since !== undefined && ack.reset !== true) {
      for (const h of ack.headlines) this.#event(h);
    } else {
      for (const m of this.#members) guard(() => m.sink.reset(ack.headlines));
    }
    this.#last = Math.max(this.#last ?? 0, ack.seq);
    this.#setStatus('live');
  }

  #event(h: Headline): void {
    if (this.#last !== undefined && h.seq <= this.#last) return;
    this.#last = h.seq;
    for (const m of this.#members) guard(() => m.sink.event(h));
  }

  #setStatus(status: FeedStatus): void {
    if (this.#status === status) return;
    this.#status = status;
    for (const m of this.#members) guard(() => m.sink.status(status));
  }

  /** Full-jitter backoff for refusals Socket.IO does not retry by itself. */
  #retryLater(): void {
    if (this.#closed || this.#retry !== undefined) return;
    const cap = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** this.#retries++);
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      if (this.#closed) return;
      if (this.#socket.connected) this.#sync();
      else this.#socket.connect();
    }, RETRY_MIN_MS / 2 + Math.random() * cap);
  }
}

/** A widget's failure stays in that widget: one broken sink must not starve the others. */
function guard(fn: () => void): void {
  try {
    fn();
  } catch {
    /* the element reports its own errors */
  }
}

/** The server's origin: Socket.IO would read a path in the URL as a namespace. */
export function serverOrigin(server: string, base: string): string {
  return new URL(server, base).origin;
}

const connections = new Map<string, SharedConnection>();

/** The page-wide source: one connection per (server, key), however many widgets use it. */
export const sharedFeed: FeedSource = {
  attach(request: FeedRequest, sink: FeedSink): () => void {
    const id = `${request.server}\n${request.key}`;
    let connection = connections.get(id);
    if (connection === undefined) {
      const created = new SharedConnection(request.server, request.key, () => {
        if (connections.get(id) === created) connections.delete(id);
      });
      connections.set(id, created);
      connection = created;
    }
    return connection.attach(request.filter, request.limit, sink);
  },
};
