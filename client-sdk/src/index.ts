// The package's runtime surface: the client and the protocol (no zod; schemas live under
// `@headline-ticker/sdk/schemas`). Explicit exports only; internals stay internal.
export {
  TickerError,
  ERROR_CODES,
  ERROR_HTTP_STATUS,
  errorCodeForHttpStatus,
  BYE_REASONS,
  CONNECT_ERRORS,
  CONNECT_ERROR,
  PROTOCOL_VERSION,
  TOPIC_PATTERN,
  SYMBOL_PATTERN,
  LIST_MAX,
  SUBSCRIBE_LIMIT_MAX,
  HISTORY_LIMIT_MAX,
  AUDIT_ACTIONS,
} from './protocol.js';
export type * from './protocol.js';
export { TickerClient, DEFAULT_ACK_TIMEOUT_MS, DEFAULT_TRANSPORTS } from './client/ticker-client.js';
export { DEFAULT_BACKOFF, type BackoffOptions } from './client/backoff.js';
export { DEFAULT_HIGH_WATER_MARK } from './client/headline-queue.js';
export type {
  FetchLike,
  FilterUpdate,
  HeadlinesOptions,
  HistoryRequest,
  LagInfo,
  ResetInfo,
  SocketFactory,
  StatusChange,
  StatusReason,
  TickerClientEvents,
  TickerClientOptions,
  TickerSocket,
  TickerStatus,
} from './client/client-types.js';
