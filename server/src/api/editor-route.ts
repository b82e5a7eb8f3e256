import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import { TickerError } from '@headline-ticker/sdk/protocol';
import type { AccessRegistry } from '../access/access-registry.js';
import type { Limits } from '../access/limits.js';
import { editorOf, requireEditor } from './auth.js';

/** Where `npm run build -w server` puts the console (server/editor/build.ts). */
export const EDITOR_DIST = fileURLToPath(new URL('../../dist/editor/', import.meta.url));

// The page runs only its own bundle and talks only to this origin; no framing (clickjacking a
// Publish button is the attack to rule out); no form submission, so even with its script
// blocked the sign-in form can never put a token into a URL.
const CSP = "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** `/editor` (the console page and its bundle) and `GET /api/editor/me` (is this token an editor's). */
export function editorRoute({ access, limits }: { access: AccessRegistry; limits: Limits }): Router {
  const router = Router();

  router.get('/api/editor/me', requireEditor(access, limits), (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ name: editorOf(res).name });
  });

  router.use('/editor', (_req, res, next) => {
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  });
  router.get('/editor', (_req, res, next) => {
    const page = join(EDITOR_DIST, 'editor.html');
    if (!existsSync(page)) return next(new TickerError('unavailable', 'the editor console is not built: run `npm run build`'));
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(page);
  });
  router.use('/editor', express.static(EDITOR_DIST, { index: false, maxAge: '1m' }));
  return router;
}
