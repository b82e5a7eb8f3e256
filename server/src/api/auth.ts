import type { Request, RequestHandler } from 'express';
import { TickerError } from '@headline-ticker/sdk/protocol';
import type { AccessRegistry, EditorRecord, KeyRecord } from '../access/access-registry.js';

function bearer(req: Request): string | undefined {
  const h = req.headers.authorization;
  if (h === undefined) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/iu.exec(h);
  return m?.[1];
}

/** Editors only: `Authorization: Bearer <editor token>`. Sets `res.locals.editor`. */
export function requireEditor(access: AccessRegistry): RequestHandler {
  return (req, res, next) => {
    const token = bearer(req);
    if (token === undefined) return next(new TickerError('unauthorized', 'editor token required: Authorization: Bearer <token>'));
    const editor = access.editor(token);
    if (editor === undefined) return next(new TickerError('unauthorized', 'unknown editor token'));
    (res.locals as { editor: EditorRecord }).editor = editor;
    next();
  };
}

/** API keys: `Authorization: Bearer <key>` or `?key=`. Sets `res.locals.key`. */
export function requireKey(access: AccessRegistry): RequestHandler {
  return (req, res, next) => {
    const query = typeof req.query['key'] === 'string' ? req.query['key'] : undefined;
    const secret = bearer(req) ?? query;
    if (secret === undefined) return next(new TickerError('unauthorized', 'API key required: Authorization: Bearer <key> or ?key='));
    const key = access.key(secret);
    if (key === undefined) return next(new TickerError('unauthorized', 'unknown or revoked API key'));
    (res.locals as { key: KeyRecord }).key = key;
    next();
  };
}

export const editorOf = (res: { locals: Record<string, unknown> }) => res.locals['editor'] as EditorRecord;
export const keyOf = (res: { locals: Record<string, unknown> }) => res.locals['key'] as KeyRecord;
