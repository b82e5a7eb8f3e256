// The wire protocol without a runtime dependency: types (inferred from ./schemas.ts and
// imported as types only, so no zod is bundled), event names and maps, error codes, and the
// one error class. Server, SDK client and widget all import it; nothing here is declared twice.
import type {
  Filter,
  Headline,
  HeadlineDraft,
  HeadlineInput,
  CorrectionInput,
  Status,
  SubscribeRequest,
  UnsubscribeRequest,
  Urgency,
} from './schemas.js';

export type { Filter, Headline, HeadlineDraft, HeadlineInput, CorrectionInput, Status, SubscribeRequest, UnsubscribeRequest, Urgency };

/**
 * The wire protocol's version. Clients send it in the handshake (`auth.v` on the socket, `v=` on
 * the stream); the server accepts every version in SUPPORTED_PROTOCOL_VERSIONS, and a client
 * that sends none (releases before 0.2.0) as version 1.
 */
export const PROTOCOL_VERSION = 1;
export const SUPPORTED_PROTOCOL_VERSIONS: readonly number[] = [1];

// The contract's rules, written once: the zod schemas (./schemas.ts) and the widget's attribute
// parsing (widgets/src/widget-filter.ts) both read them from here.
/** A topic: a lowercase slug like "energy" or "central-banks". */
export const TOPIC_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/u;
/** A symbol: a ticker like "GAZP", "BRK.B" or "LSE:VOD". */
export const SYMBOL_PATTERN = /^[A-Z0-9](?:[A-Z0-9.:-]{0,15})$/u;
/** Most topics (or symbols) one headline or one filter may list. */
export const LIST_MAX = 20;
/** Most headlines a subscribe's snapshot may ask for. */
export const SUBSCRIBE_LIMIT_MAX = 500;
/** Most headlines one history read may ask for. */
export const HISTORY_LIMIT_MAX = 1000;
/** Most entries one audit read (`GET /api/audit`) may ask for. */
export const AUDIT_LIMIT_MAX = 1000;

/** A set of topics or symbols, as a Set (the server) or a list (the widget). */
export type Members = ReadonlySet<string> | readonly string[];
const contains = (m: Members, x: string): boolean => ('has' in m ? m.has(x) : m.includes(x));

/**
 * The "everything" rule: a filter naming `*` among its topics, or naming no topics and no
 * symbols at all, asks for everything the key may see.
 */
export function isEverything(filter: {
  readonly topics?: readonly string[] | undefined;
  readonly symbols?: readonly string[] | undefined;
}): boolean {
  const topics = filter.topics ?? [];
  return topics.includes('*') || (topics.length === 0 && (filter.symbols ?? []).length === 0);
}

/** Filter matching: a headline matches when it shares a topic or a symbol with the filter. */
export function sharesTopicOrSymbol(h: Pick<Headline, 'topics' | 'symbols'>, topics: Members, symbols: Members): boolean {
  return h.topics.some((t) => contains(topics, t)) || h.symbols.some((s) => contains(symbols, s));
}

/** Stable error codes; REST answers each with one HTTP status (`ERROR_HTTP_STATUS`). */
export const ERROR_CODES = [
  'bad_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'payload_too_large',
  'rate_limited',
  'too_many_connections',
  'unavailable',
  /** a write's Redis command timed out: it may still happen; retry with the same idempotency key */
  'outcome_unknown',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The one table from error code to HTTP status; `errorCodeForHttpStatus` reads it backwards. */
export const ERROR_HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  too_many_connections: 429,
  unavailable: 503,
  outcome_unknown: 503,
  internal: 500,
};

/**
 * The code for an HTTP status that came without a `{ error }` body (a proxy, a crash): the first
 * code the table gives that status; any 5xx is `unavailable` (worth a retry), anything else
 * unknown a `bad_request`.
 */
export function errorCodeForHttpStatus(status: number): ErrorCode {
  if (status >= 500) return 'unavailable';
  return ERROR_CODES.find((code) => ERROR_HTTP_STATUS[code] === status) ?? 'bad_request';
}

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/** One error class with a stable `code`: callers switch on the code, never on message text. */
export class TickerError extends Error {
  override readonly name = 'TickerError';
  readonly code: ErrorCode;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, options?: { details?: unknown; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options?.details !== undefined) this.details = options.details;
  }

  toJSON(): ErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static isCode(value: unknown): value is ErrorCode {
    return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
  }
}

export interface SubscribeOk {
  ok: true;
  /** Latest matching headlines (snapshot) or, with `since`, every matching event after it; seq order. */
  headlines: Headline[];
  /** The feed-wide seq this answer is complete up to; live `headline` events continue after it. */
  seq: number;
  /**
   * The feed epoch `seq` belongs to. Send it back with `since` when resuming: a different epoch
   * (numbers could have been reused) answers with a fresh snapshot and `reset`.
   */
  epoch?: string;
  /** `since` was older than the retained log (or of another epoch): `headlines` is a fresh snapshot instead of a replay. */
  reset?: true;
  /**
   * With `reset`: the position sent names numbers the log has given to other headlines (another
   * epoch, or a `lastSeen` the log no longer holds at its seq). Every position from before means
   * nothing now.
   */
  feedRestarted?: true;
  /** Filter topics the key is not licensed for; nothing of them is delivered. */
  refused?: { topics: string[] };
  /**
   * A replay page that is not the last: the socket is NOT live yet. Continue with the same
   * filter and `since: seq`; the page without `more` joins live delivery.
   */
  more?: true;
}

/** The most events one replay page (subscribe ack or history response) carries. */
export const REPLAY_PAGE_MAX_EVENTS = 500;
/** The most bytes (JSON) one replay page carries. */
export const REPLAY_PAGE_MAX_BYTES = 256 * 1024;
/** `GET /api/headlines` with `since` and no `limit` answers this many events at most. */
export const HISTORY_DEFAULT_LIMIT = 100;
export interface AckError {
  ok: false;
  error: ErrorBody;
}
export type SubscribeAck = SubscribeOk | AckError;
export type UnsubscribeAck = { ok: true } | AckError;

/** Why the server ended a connection; sent in a `bye` event just before it disconnects. */
export const BYE_REASONS = ['revoked', 'slow_consumer', 'shutdown', 'too_many_connections', 'feed_restarted'] as const;
export type ByeReason = (typeof BYE_REASONS)[number];

/** What a `bye` says. */
export interface ByeInfo {
  reason: ByeReason;
  /**
   * Wait this long before reconnecting: already randomised per socket by the server (jitter),
   * so sockets dropped together do not all come back in the same instant. Older servers omit
   * it: then wait a random time of your own (see docs/protocol.md).
   */
  retryAfterMs?: number;
}

/** Why an SSE stream (`GET /api/stream`) sends `event: reset`: start again from the snapshot it carries. */
export const STREAM_RESET_REASONS = ['replay_bound', 'log_trimmed', 'feed_restarted'] as const;
export type StreamResetReason = (typeof STREAM_RESET_REASONS)[number];
/** Why the server ends an SSE stream (`reconnect` ends it without a `bye`: the client reconnects with Last-Event-ID). */
export const STREAM_END_REASONS = ['revoked', 'feed_restarted', 'slow_consumer', 'reconnect'] as const;
export type StreamEndReason = (typeof STREAM_END_REASONS)[number];

export interface ServerToClientEvents {
  headline: (headline: Headline) => void;
  bye: (info: ByeInfo) => void;
}

export interface ClientToServerEvents {
  subscribe: (request: SubscribeRequest, ack: (response: SubscribeAck) => void) => void;
  unsubscribe: (request: UnsubscribeRequest, ack: (response: UnsubscribeAck) => void) => void;
}

/**
 * Socket.IO handshake `auth` payload: an API or widget key, or an editor's token (the console),
 * and the protocol version the client speaks (PROTOCOL_VERSION; absent means 1).
 */
export type HandshakeAuth = ({ key: string } | { token: string }) & { v?: number };

/**
 * `details.reason` of the `bad_request` a subscribe (or history read) gets when its `since` is
 * ahead of the feed. On a resume that means the feed started again (its Redis lost its data):
 * the client should start afresh from a snapshot. `details.seq` is the feed's current seq.
 */
export const SINCE_AHEAD = 'since_ahead';

/** `connect_error` messages the server uses; the SDK maps them to error codes. */
export const CONNECT_ERRORS = ['unauthorized', 'too_many_connections', 'rate_limited', 'unsupported_version', 'overloaded'] as const;
export type ConnectErrorMessage = (typeof CONNECT_ERRORS)[number];
/** The same reasons by name, for the code that sends or compares them. */
export const CONNECT_ERROR: { readonly [K in ConnectErrorMessage]: K } = {
  unauthorized: 'unauthorized',
  too_many_connections: 'too_many_connections',
  rate_limited: 'rate_limited',
  unsupported_version: 'unsupported_version',
  overloaded: 'overloaded',
};

/**
 * `data` of an `overloaded` connect_error: the gateway's event loop is behind and it takes no
 * new connections for now; come back after `retryAfterMs` (plus jitter), here or elsewhere.
 */
export interface OverloadedInfo {
  retryAfterMs: number;
}

/** Answer of `POST /api/headlines`. */
export interface IngestAccepted {
  id: string;
  status: 'queued' | 'scheduled';
}

/** A headline waiting for its embargo (`GET /api/headlines/scheduled`, editors only). */
export interface ScheduledHeadline {
  id: string;
  text: string;
  topics: string[];
  symbols: string[];
  urgency: Urgency;
  /** when it goes out (ISO 8601 UTC) */
  embargoUntil: string;
  /** the editor who scheduled it */
  editor: string;
}

export interface ScheduledResponse {
  scheduled: ScheduledHeadline[];
}

/** Answer of `GET /api/headlines`. */
export interface HistoryResponse {
  headlines: Headline[];
  seq: number;
  /** the feed epoch `seq` belongs to (see SubscribeOk.epoch) */
  epoch?: string;
  reset?: true;
  /** more events follow: ask again with `since=<seq>` */
  more?: true;
}

/** Answer of `DELETE /api/headlines/:id`: a withdrawal queued, or a scheduled one cancelled. */
export interface WithdrawResult {
  id: string;
  status: 'queued' | 'cancelled';
}

/** `failed`: a queued change that could not be applied within the retry horizon (never published). */
export const AUDIT_ACTIONS = ['publish', 'correct', 'withdraw', 'cancel', 'failed'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** One line of the audit as `GET /api/audit` answers it. */
export interface AuditEntry {
  id: string;
  action: AuditAction;
  editor: string;
  /** ISO 8601 UTC */
  at: string;
  /** the log event it produced; absent for a cancellation (nothing reached the log) */
  seq?: number;
  version?: number;
  /** why a change failed */
  reason?: string;
}

/** Answer of `GET /api/audit` (editors only). */
export interface AuditResponse {
  entries: AuditEntry[];
}

// Answer of `GET /api/usage` (editors with `admin: true`): licence usage per key, per UTC day.

export interface DayFigures {
  day: string;
  peakViewers: number;
  connects: number;
  deliveries: number;
  /** refused attempts for the key that day (0 on a per-origin line) */
  refused: number;
  /** ISO time, or null when nothing was seen that day */
  lastSeen: string | null;
}

export interface Figures {
  /** sockets open now, summed over the gateways that flushed lately */
  viewersNow: number;
  /** the highest per-minute sum across gateways in the range */
  peakViewers: number;
  connects: number;
  deliveries: number;
  lastSeen: string | null;
  days: DayFigures[];
}

export interface RefusedOrigin {
  origin: string;
  count: number;
  /** the last referring page sent with a refused attempt from this origin */
  referer: string | null;
}

export interface KeyUsage extends Figures {
  ref: string;
  name: string;
  kind: 'widget' | 'api';
  /** widget keys: figures per licensed origin */
  origins: (Figures & { origin: string })[];
  /** the last 24 hours, oldest first: hourly peak of viewers */
  lastDay: { hour: string; peakViewers: number }[];
  refused: { total: number; origins: RefusedOrigin[] };
}

export interface UsageReport {
  from: string;
  to: string;
  generatedAt: string;
  keys: KeyUsage[];
  unknownKeys: {
    /** attempts with a missing or unknown key in the range */
    attempts: number;
    /** addresses with such attempts in the last two minutes only (nothing older is kept) */
    recentAddresses: { address: string; count: number }[];
  };
}
