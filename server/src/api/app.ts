import { fileURLToPath } from 'node:url';
import express, { type Express, type Router } from 'express';
import type { RedisClient } from '../redis/connection.js';
import type { AccessRegistry } from '../access/access-registry.js';
import type { AddressLimits } from '../access/address-limits.js';
import type { Limits } from '../access/limits.js';
import type { AuditLog } from '../log/audit-log.js';
import type { FeedLog } from '../log/feed-log.js';
import type { IngestQueue } from '../ingest/ingest-queue.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { auditRoutes } from './audit-routes.js';
import { editorRoute } from './editor-route.js';
import { metricsRoute, type MetricsAccess } from './metrics-route.js';
import { requestLogger } from './request-log.js';
import { headlinesRoutes } from './headlines-routes.js';
import { errorHandler, notFoundHandler } from './http-errors.js';
import { openApiRoute } from './openapi.js';
import { widgetRoute } from './widget-route.js';
import type { UsageRecorder } from '../usage/usage-recorder.js';
import { usageRoutes } from './usage-routes.js';

export interface AppDeps {
  access: AccessRegistry;
  limits: Limits;
  ingest: IngestQueue | null;
  log: FeedLog;
  /** the connection whose health decides readiness */
  redis: RedisClient;
  logger: Logger;
  metrics: Metrics;
  /** false on a worker-only node: health endpoints only */
  api: boolean;
  /** licence usage (API nodes) */
  usage?: UsageRecorder | null;
  /** the ticker's audit trail (built once, in TickerParts) */
  audit: AuditLog;
  /**
   * Where `GET /api/stream` (stream-route.ts) is mounted: the route itself is built with the
   * gateway, after this app is attached to the server, and added to this router then.
   */
  stream?: Router | null;
  /** proxies whose X-Forwarded-For is believed */
  trustedProxies: readonly string[];
  addressLimits: AddressLimits;
  /** who reads /metrics on this port */
  metricsAccess: MetricsAccess;
}

export const PUBLIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url));

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', [...deps.trustedProxies]);

  app.use(requestLogger(deps.logger));
  app.use(metricsRoute(deps.metrics, deps.metricsAccess));
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/readyz', async (_req, res) => {
    const ready =
      deps.redis.status === 'ready' &&
      (await deps.redis.ping().then(
        () => true,
        () => false,
      ));
    res.status(ready ? 200 : 503).json({ ok: ready, redis: deps.redis.status });
  });

  if (deps.api) {
    app.use(headlinesRoutes(deps));
    app.use(widgetRoute());
    app.use(openApiRoute());
    if (deps.stream) app.use(deps.stream);
    app.use(auditRoutes({ access: deps.access, limits: deps.limits, audit: deps.audit }));
    app.use(editorRoute(deps));
    if (deps.usage) app.use(usageRoutes({ access: deps.access, limits: deps.limits, usage: deps.usage }));
    app.use(express.static(PUBLIC_DIR, { index: 'index.html', maxAge: '1m' }));
  }
  app.use(notFoundHandler);
  app.use(
    errorHandler(deps.logger, (req, code) => {
      if (req.method !== 'GET' && req.path.startsWith('/api/headlines')) deps.metrics.rejected.inc({ reason: code });
      // History or a stream with a missing or unknown key: counted per address for usage (the key is not kept).
      const keyed = req.path === '/api/headlines' || req.path === '/api/stream';
      if (req.method === 'GET' && keyed && code === 'unauthorized') deps.usage?.unknownKey(req.ip ?? 'unknown');
    }),
  );
  return app;
}
