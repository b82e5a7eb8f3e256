import type { Request, RequestHandler } from 'express';
import { TickerError } from '@headline-ticker/sdk/protocol';
import type { AccessRegistry, EditorRecord, KeyRecord } from '../access/access-registry.js';
import type { Limits } from '../access/limits.js';
import type { UsageRecorder } from '../usage/usage-recorder.js';

function bearer(req: Request): string | undefined {
  const h = req.headers.authorization;
  if (h === undefined) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/iu.exec(h);
  return m?.[1];
}

export const rateLimited = (retryAfterSeconds: number, what: string) =>
  new TickerError('rate_limited', `${what}; retry in ${retryAfterSeconds} s`, { details: { retryAfterSeconds } });

/**
 * Shared by both guards. A valid credential always passes: the lockout is for guessing, and a
 * colleague's (or a hostile page's) failures from the same address must not lock a user out.
 * An unknown one counts against the address, and past the limit is answered 429, not 401.
 */
function guard<T>(
  limits: Limits,
  find: (req: Request) => { secret: string | undefined; missing: string; unknown: string },
  lookup: (secret: string) => T | undefined,
  store: (req: Request, res: { locals: Record<string, unknown> }, found: T) => TickerError | null,
): RequestHandler {
  return async (req, res, next) => {
    const { secret, missing, unknown } = find(req);
    const found = secret === undefined ? undefined : lookup(secret);
    if (found === undefined) {
      const ip = req.ip ?? 'unknown';
      const blocked = await limits.authBlocked(ip);
      if (blocked !== null) return next(rateLimited(blocked, 'too many failed authentications from this address'));
      await limits.authFailed(ip);
      return next(new TickerError('unauthorized', secret === undefined ? missing : unknown));
    }
    next(store(req, res, found) ?? undefined);
  };
}

/** Editors only: `Authorization: Bearer <editor token>`. Sets `res.locals.editor`. */
export function requireEditor(access: AccessRegistry, limits: Limits): RequestHandler {
  return guard(
    limits,
    (req) => ({ secret: bearer(req), missing: 'editor token required: Authorization: Bearer <token>', unknown: 'unknown editor token' }),
    (token) => access.editor(token),
    (_req, res, editor: EditorRecord) => {
      res.locals['editor'] = editor;
      return null;
    },
  );
}

/**
 * API keys: `Authorization: Bearer <key>` or `?key=`. Sets `res.locals.key`. A widget key from a
 * foreign or missing Origin is refused and, with `usage`, recorded as refused use (as a handshake is).
 */
export function requireKey(access: AccessRegistry, limits: Limits, usage?: Pick<UsageRecorder, 'refused'> | null): RequestHandler {
  return guard(
    limits,
    (req) => ({
      secret: bearer(req) ?? (typeof req.query['key'] === 'string' ? req.query['key'] : undefined),
      missing: 'API key required: Authorization: Bearer <key> or ?key=',
      unknown: 'unknown or revoked API key',
    }),
    (secret) => access.key(secret),
    (req, res, key: KeyRecord) => {
      // A widget key is public (it sits in its pages' source): only its own pages may use it.
      if (key.origins !== null && (req.headers.origin === undefined || !key.origins.has(req.headers.origin))) {
        usage?.refused(key, req.headers.origin, req.headers.referer);
        return new TickerError('forbidden', 'this widget key is bound to other origins: send the Origin of a licensed page');
      }
      res.locals['key'] = key;
      return null;
    },
  );
}

export const editorOf = (res: { locals: Record<string, unknown> }) => res.locals['editor'] as EditorRecord;
export const keyOf = (res: { locals: Record<string, unknown> }) => res.locals['key'] as KeyRecord;
