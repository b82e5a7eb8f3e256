// Every failure the client meets becomes a TickerError with a stable code, in this one place,
// so applications switch on `error.code` and never on message text.
import { CONNECT_ERROR, TickerError, errorCodeForHttpStatus, type ErrorBody, type ErrorCode } from '../protocol.js';

/** Codes after which retrying cannot help: the client stops and closes. */
const FATAL_CODES: ReadonlySet<ErrorCode> = new Set(['unauthorized', 'forbidden', 'bad_request']);

export function isFatal(error: TickerError): boolean {
  return FATAL_CODES.has(error.code);
}

/**
 * A Socket.IO `connect_error`. The server refuses a handshake with the code as the message
 * (`unauthorized`, `too_many_connections`, `rate_limited`); anything else is the network.
 */
export function fromConnectError(err: Error): TickerError {
  const message = err.message;
  if (message === CONNECT_ERROR.unauthorized) {
    return new TickerError('unauthorized', 'the server refused the key (unknown, revoked, or a widget key from another origin)', {
      cause: err,
    });
  }
  if (message === CONNECT_ERROR.too_many_connections) {
    return new TickerError('too_many_connections', 'the key has too many open connections', { cause: err });
  }
  if (message === CONNECT_ERROR.rate_limited) return new TickerError('rate_limited', 'too many connection attempts', { cause: err });
  if (message === CONNECT_ERROR.overloaded) {
    const retryAfterMs = (err as Error & { data?: { retryAfterMs?: unknown } }).data?.retryAfterMs;
    return new TickerError('unavailable', 'the gateway is overloaded; retrying later', {
      cause: err,
      details: { reason: CONNECT_ERROR.overloaded, retryAfterMs: typeof retryAfterMs === 'number' ? retryAfterMs : null },
    });
  }
  if (message === CONNECT_ERROR.unsupported_version) {
    return new TickerError('bad_request', 'the server does not speak this protocol version: upgrade @headline-ticker/sdk', { cause: err });
  }
  return new TickerError('unavailable', `cannot reach the ticker: ${message}`, { cause: err });
}

/** The `error` of a `{ ok: false }` ack. */
export function fromAckError(body: ErrorBody | undefined): TickerError {
  if (body === undefined || !TickerError.isCode(body.code)) {
    return new TickerError('internal', 'the server answered with an unknown error', { details: body });
  }
  return new TickerError(body.code, body.message, body.details === undefined ? undefined : { details: body.details });
}

/** A non-2xx REST answer: `{ error: { code, message, details? } }` or, from a proxy, anything. */
export function fromHttpError(status: number, body: unknown): TickerError {
  const error = (body as { error?: ErrorBody } | null)?.error;
  if (error !== undefined && TickerError.isCode(error.code) && typeof error.message === 'string') return fromAckError(error);
  return new TickerError(errorCodeForHttpStatus(status), `the server answered HTTP ${status}`);
}

/** Anything thrown where a TickerError is wanted. */
export function toTickerError(err: unknown, code: ErrorCode = 'internal'): TickerError {
  if (err instanceof TickerError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new TickerError(code, message, { cause: err });
}

/** The wait an `overloaded` refusal asked for (ms), or null for any other error. */
export function overloadedWaitMs(error: TickerError): number | null {
  const details = error.details as { reason?: unknown; retryAfterMs?: unknown } | undefined;
  if (details?.reason !== CONNECT_ERROR.overloaded) return null;
  return typeof details.retryAfterMs === 'number' && details.retryAfterMs >= 0 ? Math.min(details.retryAfterMs, 60_000) : 1000;
}
