import type { z } from 'zod';
import { TickerError } from '@headline-ticker/sdk/protocol';

/**
 * A zod failure as a bad_request whose details are the issues (path, message, code): the one
 * shape of a validation error, whether it answers a REST body or a socket message.
 */
export function badRequest(error: z.ZodError, what: string): TickerError {
  const details = error.issues.map((i) => ({ path: i.path.join('.'), message: i.message, code: i.code }));
  const first = details[0];
  const message = first ? `invalid ${what}: ${first.path ? `${first.path}: ` : ''}${first.message}` : `invalid ${what}`;
  return new TickerError('bad_request', message, { details });
}
