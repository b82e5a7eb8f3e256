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

export type {
  Filter,
  Headline,
  HeadlineDraft,
  HeadlineInput,
  CorrectionInput,
  Status,
  SubscribeRequest,
  UnsubscribeRequest,
  Urgency,
};

export const PROTOCOL_VERSION = 1;

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
  /** `since` was older than the retained log: `headlines` is a fresh snapshot instead of a replay. */
  reset?: true;
  /** Filter topics the key is not licensed for; nothing of them is delivered. */
  refused?: { topics: string[] };
}
export interface AckError {
  ok: false;
  error: ErrorBody;
}
export type SubscribeAck = SubscribeOk | AckError;
export type UnsubscribeAck = { ok: true } | AckError;

/** Why the server ended a connection; sent in a `bye` event just before it disconnects. */
export const BYE_REASONS = ['revoked', 'slow_consumer', 'shutdown', 'too_many_connections', 'feed_restarted'] as const;
export type ByeReason = (typeof BYE_REASONS)[number];

export interface ServerToClientEvents {
  headline: (headline: Headline) => void;
  bye: (info: { reason: ByeReason }) => void;
}

export interface ClientToServerEvents {
  subscribe: (request: SubscribeRequest, ack: (response: SubscribeAck) => void) => void;
  unsubscribe: (request: UnsubscribeRequest, ack: (response: UnsubscribeAck) => void) => void;
}

/** Socket.IO handshake `auth` payload: an API or widget key, or an editor's token (the console). */
export type HandshakeAuth = { key: string } | { token: string };

/**
 * `details.reason` of the `bad_request` a subscribe (or history read) gets when its `since` is
 * ahead of the feed. On a resume that means the feed started again (its Redis lost its data):
 * the client should start afresh from a snapshot. `details.seq` is the feed's current seq.
 */
export const SINCE_AHEAD = 'since_ahead';

/** `connect_error` messages the server uses; the SDK maps them to error codes. */
export const CONNECT_ERRORS = ['unauthorized', 'too_many_connections', 'rate_limited'] as const;
export type ConnectErrorMessage = (typeof CONNECT_ERRORS)[number];
/** The same reasons by name, for the code that sends or compares them. */
export const CONNECT_ERROR: { readonly [K in ConnectErrorMessage]: K } = {
  unauthorized: 'unauthorized',
  too_many_connections: 'too_many_connections',
  rate_limited: 'rate_limited',
};

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
  reset?: true;
}

/** Answer of `DELETE /api/headlines/:id`: a withdrawal queued, or a scheduled one cancelled. */
export interface WithdrawResult {
  id: string;
  status: 'queued' | 'cancelled';
}

export const AUDIT_ACTIONS = ['publish', 'correct', 'withdraw', 'cancel'] as const;
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
}

/** Answer of `GET /api/audit` (editors only). */
export interface AuditResponse {
  entries: AuditEntry[];
}
