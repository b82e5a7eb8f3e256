import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import type { z } from 'zod';
import { ERROR_HTTP_STATUS, TickerError, type ErrorCode } from '@headline-ticker/sdk/protocol';
import type { Logger } from '../logger.js';
import { badRequest } from '../validation.js';

/** Parse with a schema or throw a bad_request carrying the zod issues. */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw badRequest(parsed.error, what);
  return parsed.data;
}

interface BodyParserError {
  type?: string;
  status?: number;
}

/** Everything thrown in a route ends here as `{ error: { code, message, details? } }`. */
export function errorHandler(logger: Logger, onError: (req: Request, code: ErrorCode) => void = () => undefined): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    let e: TickerError;
    if (err instanceof TickerError) e = err;
    else if ((err as BodyParserError).type === 'entity.too.large')
      e = new TickerError('payload_too_large', 'request body is over the 64 KiB limit');
    else if ((err as BodyParserError).type === 'entity.parse.failed') e = new TickerError('bad_request', 'request body is not valid JSON');
    else if ((err as BodyParserError).status !== undefined && (err as BodyParserError).status! < 500) {
      e = new TickerError('bad_request', (err as Error).message);
    } else {
      logger.error({ err }, 'unhandled error in request');
      e = new TickerError('internal', 'internal error');
    }
    onError(req, e.code);
    if (e.code === 'unavailable' || e.code === 'outcome_unknown') res.setHeader('Retry-After', '1');
    const retry = (e.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
    if (e.code === 'rate_limited' && retry !== undefined) res.setHeader('Retry-After', String(retry));
    res.status(ERROR_HTTP_STATUS[e.code]).json({ error: e.toJSON() });
  };
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new TickerError('not_found', `no route ${req.method} ${req.path}`));
};
