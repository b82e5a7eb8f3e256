import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';
import { TickerError } from '@headline-ticker/sdk/protocol';

/** Where `npm run build -w widgets` writes the embed bundle (read as a file: nothing imports the widgets). */
export const WIDGET_BUNDLE_PATH = fileURLToPath(new URL('../../../widgets/dist/widget.js', import.meta.url));

/**
 * The URL is the same for every release, so caches keep it briefly and then revalidate with
 * the ETag (a 304 costs a few bytes); sites still get a new release within minutes.
 */
const CACHE_CONTROL = 'public, max-age=300, stale-while-revalidate=86400';

interface Bundle {
  mtimeMs: number;
  size: number;
  body: Buffer;
  etag: string;
}

/**
 * `GET /widget.js`: the embed script with caching headers. Cross-origin safe: any page may load
 * it, with or without `crossorigin`, and under COEP. Re-read when the file changes on disk.
 */
export function widgetRoute(bundlePath: string = WIDGET_BUNDLE_PATH): Router {
  const router = Router();
  let cached: Bundle | null = null;

  const load = async (): Promise<Bundle> => {
    const info = await stat(bundlePath).catch(() => null);
    if (info === null) throw new TickerError('unavailable', 'the widget bundle is not built: run `npm run build -w widgets`');
    if (cached !== null && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached;
    const body = await readFile(bundlePath);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    cached = { mtimeMs: info.mtimeMs, size: info.size, body, etag };
    return cached;
  };

  router.get('/widget.js', async (req, res) => {
    const bundle = await load();
    res.set({
      'Content-Type': 'text/javascript; charset=utf-8',
      'Cache-Control': CACHE_CONTROL,
      ETag: bundle.etag,
      'Access-Control-Allow-Origin': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
      'X-Content-Type-Options': 'nosniff',
    });
    const match = req.headers['if-none-match'];
    if (match !== undefined && match.split(',').some((t) => t.trim().replace(/^W\//u, '') === bundle.etag)) {
      res.status(304).end();
      return;
    }
    res.status(200).send(bundle.body);
  });
  return router;
}
