import type { Server as HttpServer } from 'node:http';
import type { Express, Router } from 'express';
import type { AccessRegistry } from './access/access-registry.js';
import type { AddressLimits } from './access/address-limits.js';
import type { Limits } from './access/limits.js';
import { createApp } from './api/app.js';
import type { TickerOptions, TickerParts } from './ticker-options.js';
import { UsageRecorder } from './usage/usage-recorder.js';

export interface HttpFrontDeps extends TickerParts {
  httpServer: HttpServer;
  access: AccessRegistry;
  limits: Limits;
  addressLimits: AddressLimits;
  /** whether this role serves the API (not the worker role) */
  api: boolean;
  /** where the SSE stream route is mounted once the gateway is built */
  streamMount: Router;
}

/** The Express side of the HTTP server, with licence usage on API roles. */
export function startHttpFront(p: HttpFrontDeps, o: TickerOptions): { app: Express; usage: UsageRecorder | null } {
  const { started, access, logger, metrics } = p;
  let usage: UsageRecorder | null = null;
  if (p.api) {
    const usageLogger = logger.child({ part: 'usage' });
    const recorder = new UsageRecorder({
      redis: p.redis,
      prefix: p.prefix,
      config: o.config.usage,
      logger: usageLogger,
      metrics,
      keys: () => access.keys,
    });
    usage = recorder;
    // Stopped after the gateway, so the last disconnects are flushed too.
    started.push({ name: 'usage', close: () => recorder.close() });
    recorder.start();
  }
  // Express first, Socket.IO second: Engine.IO then takes over the one request listener and
  // hands Express only what is not /socket.io/. Attached the other way round both answered a
  // long-polling request, and the second write crashed the process (ERR_HTTP_HEADERS_SENT).
  const app = createApp({
    access,
    limits: p.limits,
    ingest: p.api ? p.ingest : null,
    audit: p.audit,
    log: p.log,
    redis: p.redis,
    logger,
    metrics,
    api: p.api,
    usage,
    stream: p.api ? p.streamMount : null,
    trustedProxies: o.config.trustedProxies,
    addressLimits: p.addressLimits,
    metricsAccess: { ownPort: o.metricsPort !== undefined, allow: o.metricsAllow ?? [] },
  });
  p.httpServer.on('request', app);
  return { app, usage };
}
