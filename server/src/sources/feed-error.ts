/** Why a poll failed: stable, used as a metric label and in logs; callers switch on it. */
export type FeedFailureReason =
  | 'timeout'
  | 'network'
  | 'http_status'
  | 'too_large'
  | 'redirect_loop'
  | 'too_many_redirects'
  | 'bad_redirect'
  | 'invalid_encoding'
  | 'invalid_xml'
  | 'not_a_feed'
  | 'ingest';

/**
 * A feed that could not be polled. It stays inside the worker (logged, counted, retried later)
 * and never reaches a client, so it is not a TickerError: those codes are the wire contract.
 */
export class FeedError extends Error {
  override readonly name = 'FeedError';
  readonly reason: FeedFailureReason;

  constructor(reason: FeedFailureReason, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
  }
}
