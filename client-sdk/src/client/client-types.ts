// The client's public types: options, statuses and the event map (one context object each).
import type { ManagerOptions, Socket, SocketOptions } from 'socket.io-client';
import type { ByeReason, ClientToServerEvents, Headline, ServerToClientEvents, TickerError } from '../protocol.js';
import type { BackoffOptions } from './backoff.js';

export type TickerSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
export type SocketFactory = (url: string, options: Partial<ManagerOptions & SocketOptions>) => TickerSocket;
export type FetchLike = (
  input: string,
  init?: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal },
) => Promise<{
  ok: boolean;
  status: number;
  json(): Promise<unknown>;
}>;

export interface TickerClientOptions {
  /** the server, e.g. `http://localhost:8080` */
  url: string;
  /** an API key (`sdk_…`) or, in a page, a widget key bound to the page's origin (give `key` or `token`) */
  key?: string;
  /** an editor token instead of a key: the editor console's live view (all topics; `history()` needs a key) */
  token?: string;
  /** topics to follow; `["*"]` or none with no symbols: everything the key may see */
  topics?: string[];
  /** symbols to follow; a headline matches when it shares a topic or a symbol */
  symbols?: string[];
  /** first connect only: replay every matching event after this seq instead of a snapshot */
  since?: number;
  /** first connect only, without `since`: how many recent headlines to start with (server default 20, max 500) */
  limit?: number;
  /** retry delays (full jitter between min and an exponentially growing cap; after a `bye`, between min and `byeSpreadMs`) */
  reconnect?: Partial<BackoffOptions>;
  /**
   * How a resume catches up when the server pages its replay (`more`):
   * `'replay'` (default) follows every page, so nothing is ever skipped;
   * `'snapshot'` takes a fresh snapshot of `limit` instead when the gap is longer than one page,
   * announced as `reset` (for a display that shows only the newest few, like the widget).
   */
  catchUp?: 'replay' | 'snapshot';
  /** how long a subscribe may wait for its answer before the connection is retried (default 10 000 ms) */
  ackTimeoutMs?: number;
  /** socket.io-client's `io`, e.g. to share its Manager or to add test hooks (default: `io` from socket.io-client) */
  io?: SocketFactory;
  /** extra socket.io-client options, e.g. `{ transports: ['websocket'] }` to skip polling, or Node `extraHeaders` (default transports: polling, then the upgrade to WebSocket) */
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
  /** `fetch` for `history()` (default: the global one) */
  fetch?: FetchLike;
}

export type TickerStatus = 'connecting' | 'live' | 'reconnecting' | 'closed';

/** Why the status changed; a string-literal union, never free text. */
export type StatusReason =
  | ByeReason // the server said goodbye: revoked | slow_consumer | shutdown | too_many_connections | feed_restarted
  | 'connect_failed' // the handshake failed (network, or refused with a retryable code)
  | 'connection_lost' // the transport closed or the server dropped the socket
  | 'subscribe_failed' // the subscribe was refused with a retryable code or not answered in time
  | 'unauthorized' // the key was refused: no more retries
  | 'refused' // the subscribe was refused for good (bad_request / forbidden): no more retries
  | 'client_closed'; // close() was called

export interface StatusChange {
  status: TickerStatus;
  previous: TickerStatus;
  reason?: StatusReason;
  /** the failure behind `reason`, when there was one */
  error?: TickerError;
}

export interface ResetInfo {
  /** the fresh snapshot: the latest matching headlines, oldest first (each is also emitted as `headline`) */
  headlines: Headline[];
  /** the seq the snapshot is complete up to */
  seq: number;
  /** the seq the client asked to resume after, now older than the server's retained log */
  since: number;
  /**
   * true when the reason was not retention but a feed that started again (its Redis lost its
   * data): seqs start over, so positions saved before it mean nothing now
   */
  feedRestarted?: true;
}

export interface LagInfo {
  /** headlines dropped from this iterator's buffer in this batch (oldest first) */
  dropped: number;
  /** seq of the first and last headline dropped in this batch */
  fromSeq: number;
  toSeq: number;
  /** the iterator's buffer limit */
  highWaterMark: number;
  /** headlines this iterator has dropped since it was created */
  totalDropped: number;
}

export interface TickerClientEvents {
  headline: (headline: Headline) => void;
  status: (change: StatusChange) => void;
  reset: (info: ResetInfo) => void;
  error: (error: TickerError) => void;
  lag: (info: LagInfo) => void;
}

export interface FilterUpdate {
  topics?: string[];
  symbols?: string[];
}

export interface HistoryRequest {
  since?: number;
  /** with `since`: how many events at most; pages are followed until this many arrived or none are left */
  limit?: number;
  /** with `since` and no `limit`: follow `more` to the end of the log (default: one page, `more` says if there is another) */
  all?: boolean;
  topics?: string[];
  symbols?: string[];
  signal?: AbortSignal;
}

export interface HeadlinesOptions {
  /** most headlines held for a slow consumer before the oldest are dropped (default 1000) */
  highWaterMark?: number;
}
