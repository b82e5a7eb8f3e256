import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { Router, type Response } from 'express';
import { TickerError } from '@headline-ticker/sdk/protocol';

/** Where `npm run build -w widgets` writes the embed bundle (read as a file: nothing imports the widgets). */
export const WIDGET_BUNDLE_PATH = fileURLToPath(new URL('../../../widgets/dist/widget.js', import.meta.url));

/**
 * Release bundles: `v/<version>/widget.js` beside the moving one, and the manifest naming the
 * current release and its Subresource Integrity hash (widgets/scripts/build.ts writes both).
 * Earlier releases are there too: the build copies each committed `widgets/releases/<version>/`
 * into `v/`, so a site's pinned URL outlives the upgrade.
 */
const VERSION_PATTERN = /^\d{1,4}\.\d{1,4}\.\d{1,4}$/u;

/** A versioned URL's content never changes: browsers and CDNs keep it a year without asking. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

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
 * `GET /widget.js`: the embed script, current release, with a short cache and an ETag.
 * `GET /widget/<version>/widget.js`: one release's bundle, immutable (pin it with `integrity=`).
 * `GET /widget/manifest.json`: `{ version, path, integrity }` of the current release, and
 * `releases`: the same for every release served.
 * Files are re-read when they change on disk.
 */
export function widgetRoute(bundlePath: string = WIDGET_BUNDLE_PATH): Router {
  const router = Router();
  const cache = new Map<string, Bundle>();

  const load = async (path: string, missing: TickerError): Promise<Bundle> => {
    const info = await stat(path).catch(() => null);
    if (info === null) throw missing;
    const cached = cache.get(path);
    if (cached !== undefined && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached;
    const body = await readFile(path);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    const bundle = { mtimeMs: info.mtimeMs, size: info.size, body, etag };
    cache.set(path, bundle);
    return bundle;
  };
  const notBuilt = () => new TickerError('unavailable', 'the widget bundle is not built: run `npm run build -w widgets`');
  const dist = dirname(bundlePath);

  // Any page may load the bundle, with or without `crossorigin` (which SRI needs), under COEP.
  const headers = (res: Response, bundle: Bundle, cacheControl: string, type = 'text/javascript; charset=utf-8') =>
    res.set({
      'Content-Type': type,
      'Cache-Control': cacheControl,
      ETag: bundle.etag,
      'Access-Control-Allow-Origin': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
      'X-Content-Type-Options': 'nosniff',
    });

  router.get('/widget/:version/widget.js', async (req, res) => {
    const version = req.params['version'];
    const unknown = new TickerError('not_found', `no widget release ${version.slice(0, 20)} on this server`);
    if (!VERSION_PATTERN.test(version)) throw unknown;
    const bundle = await load(join(dist, 'v', version, 'widget.js'), unknown);
    headers(res, bundle, IMMUTABLE).status(200).send(bundle.body);
  });

  router.get('/widget/manifest.json', async (_req, res) => {
    const manifest = await load(join(dist, 'widget-manifest.json'), notBuilt());
    headers(res, manifest, CACHE_CONTROL, 'application/json; charset=utf-8').status(200).send(manifest.body);
  });

  router.get('/widget.js', async (req, res) => {
    const bundle = await load(bundlePath, notBuilt());
    headers(res, bundle, CACHE_CONTROL);
    const match = req.headers['if-none-match'];
    if (match !== undefined && match.split(',').some((t) => t.trim().replace(/^W\//u, '') === bundle.etag)) {
      res.status(304).end();
      return;
    }
    res.status(200).send(bundle.body);
  });
  return router;
}
