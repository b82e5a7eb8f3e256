import { TickerClient } from '@headline-ticker/sdk';
import type { Headline } from '@headline-ticker/sdk/protocol';
import type { FeedRequest, FeedSink, FeedSource, FeedStatus } from './feed-source.js';
import { covers, unionFilter, type WidgetFilter } from './widget-filter.js';

/** The server caps a snapshot at this many headlines (SUBSCRIBE_LIMIT_MAX); so does the cache. */
const SNAPSHOT_MAX = 500;

interface Member {
  readonly filter: WidgetFilter;
  readonly limit: number;
  readonly sink: FeedSink;
}

/**
 * One SDK `TickerClient` (one connection: long-polling, upgraded to a WebSocket where the network
 * allows) shared by every widget on the page with the same server and key. The server's `subscribe` replaces a socket's filter, so the client follows the union
 * of its widgets' filters and each widget keeps what matches its own. The client does the hard
 * part: reconnects with backoff, resumes with `since`, drops duplicates by `seq`.
 *
 * A widget that arrives later is served from the latest headlines this connection has seen when
 * its filter is covered; otherwise the client is replaced by one for the wider union, which
 * starts with a fresh snapshot for everybody (`update()` resumes with `since`, so it would give
 * the new topics no backlog).
 *
 * After a gap longer than one replay page (the server answers the resume with `more`), the
 * client takes a fresh snapshot instead of paging through a backlog the widgets would mostly
 * throw away (`catchUp: 'snapshot'`); it arrives as a `reset`, like a resume past the log.
 */
class SharedConnection {
  readonly #server: string;
  readonly #key: string;
  readonly #onEmpty: () => void;
  readonly #members = new Set<Member>();
  /** latest version of each headline seen, oldest first; what a late widget starts from */
  readonly #recent = new Map<string, Headline>();
  #client: TickerClient | null = null;
  #covered: WidgetFilter | null = null;
  /** a fresh client's first answer is being collected: widgets get it whole, as a reset */
  #snapshotting = false;
  /** events at or below this seq were already handed out in a reset */
  #resetUpTo = 0;
  #status: FeedStatus = 'connecting';
  #startQueued = false;

  constructor(server: string, key: string, onEmpty: () => void) {
    this.#server = server;
    this.#key = key;
    this.#onEmpty = onEmpty;
  }

  attach(filter: WidgetFilter, limit: number, sink: FeedSink): () => void {
    const member: Member = { filter, limit, sink };
    this.#members.add(member);
    sink.status(this.#status);
    if (this.#client !== null && this.#covered !== null && covers(this.#covered, filter)) {
      if (!this.#snapshotting) sink.reset([...this.#recent.values()]);
    } else {
      this.#queueStart();
    }
    return () => {
      this.#members.delete(member);
      // A widget moved in the DOM detaches and re-attaches in one task: close only if it stays empty.
      if (this.#members.size === 0) queueMicrotask(() => this.#members.size === 0 && this.close());
    };
  }

  close(): void {
    const client = this.#client;
    this.#client = null;
    void client?.close();
    this.#onEmpty();
  }

  /**
   * Widgets that are parsed after an async script ran attach one by one while the page loads:
   * wait for the document, then open one client for all of them.
   */
  #queueStart(): void {
    if (this.#startQueued) return;
    this.#startQueued = true;
    const start = () => {
      this.#startQueued = false;
      this.#start();
    };
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
    else queueMicrotask(start);
  }

  #start(): void {
    if (this.#members.size === 0) return;
    const members = [...this.#members];
    const union = unionFilter(members.map((m) => m.filter));
    const limit = Math.min(
      SNAPSHOT_MAX,
      members.reduce((n, m) => n + m.limit, 0),
    );
    void this.#client?.close();
    this.#recent.clear();
    this.#snapshotting = true;
    this.#resetUpTo = 0;
    this.#covered = union;
    let client: TickerClient;
    try {
      client = new TickerClient({
        url: this.#server,
        key: this.#key,
        topics: [...union.topics],
        symbols: [...union.symbols],
        limit,
        catchUp: 'snapshot',
      });
    } catch {
      this.#client = null;
      this.#setStatus('unavailable');
      return;
    }
    this.#client = client;
    const current = () => this.#client === client;
    client.on('error', () => undefined); // reported through status; never thrown at the page
    client.on('headline', (h) => {
      if (!current()) return;
      this.#remember(h);
      if (this.#snapshotting || h.seq <= this.#resetUpTo) return;
      for (const m of this.#members) guard(() => m.sink.event(h));
    });
    client.on('reset', ({ headlines, seq }) => {
      // Resumed too late for the retained log: a fresh snapshot replaces everything.
      if (!current()) return;
      this.#recent.clear();
      for (const h of headlines) this.#remember(h);
      this.#resetUpTo = seq;
      if (!this.#snapshotting) for (const m of this.#members) guard(() => m.sink.reset(headlines));
    });
    client.on('status', ({ status, reason }) => {
      if (!current()) return;
      if (status === 'live') {
        if (this.#snapshotting) {
          this.#snapshotting = false;
          const snapshot = [...this.#recent.values()];
          for (const m of this.#members) guard(() => m.sink.reset(snapshot));
        }
        this.#setStatus('live');
      } else if (status === 'reconnecting') {
        this.#setStatus('unavailable');
      } else if (status === 'closed' && reason !== 'client_closed') {
        // unauthorized (origin or key), revoked, or a filter refused for good: no more retries.
        this.#setStatus('refused');
      }
    });
  }

  #remember(h: Headline): void {
    this.#recent.delete(h.id);
    if (h.status === 'withdrawn') return;
    this.#recent.set(h.id, h);
    if (this.#recent.size > SNAPSHOT_MAX) {
      const oldest = this.#recent.keys().next();
      if (oldest.done !== true) this.#recent.delete(oldest.value);
    }
  }

  #setStatus(status: FeedStatus): void {
    if (this.#status === status) return;
    this.#status = status;
    for (const m of this.#members) guard(() => m.sink.status(status));
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
