import { createServer, type Server as HttpServer } from 'node:http';
import { Router, type Request } from 'express';
import proxyAddr from 'proxy-addr';
import type { Metrics } from '../metrics.js';

export interface MetricsAccess {
  /** served on its own port (METRICS_PORT): the main port answers 404 */
  ownPort: boolean;
  /** addresses or CIDR ranges, besides loopback, that may read it on the main port */
  allow: readonly string[];
}

/**
 * `GET /metrics` on the main port, for loopback and the allow-list only: the client address is
 * Express's `req.ip`, so a request relayed by the load balancer counts as its real client and
 * the outside never reads it through the proxy. Anyone else gets the same 404 as no route.
 */
export function metricsRoute(metrics: Metrics, access: MetricsAccess): Router {
  const router = Router();
  if (access.ownPort) return router;
  const allowed = proxyAddr.compile(['loopback', ...access.allow]);
  router.get('/metrics', async (req: Request, res, next) => {
    if (req.ip === undefined || !allowed(req.ip, 0)) return next();
    res.type(metrics.contentType).send(await metrics.text());
  });
  return router;
}

/** A server for METRICS_PORT that answers `GET /metrics` and nothing else (bind it where operators reach it). */
export function createMetricsServer(metrics: Metrics): HttpServer {
  return createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metrics.text().then(
      (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
}
