import { TickerError } from '@headline-ticker/sdk/protocol';
import { isCommandTimeout } from '../redis/connection.js';

/**
 * A write whose command timed out may still run: the answer says the outcome is unknown
 * (retrying with the same idempotency key is safe). Other failures are `unavailable`.
 */
export async function guardWrite<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (isCommandTimeout(err)) {
      throw new TickerError(
        'outcome_unknown',
        'the feed store did not answer in time: the change may or may not be queued; retry with the same idempotency key',
        { cause: err },
      );
    }
    return guard(Promise.reject(err instanceof Error ? err : new Error(String(err))));
  }
}

/** Redis failures become `unavailable`, so the client knows to retry and nothing half-happened. */
export async function guard<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof TickerError) throw err;
    throw new TickerError('unavailable', 'the feed store is unreachable; nothing was queued, try again', { cause: err });
  }
}
