import type { Server as HttpServer } from 'node:http';
import type { Router } from 'express';
import type { AccessRegistry } from './access/access-registry.js';
import type { AddressLimits } from './access/address-limits.js';
import { clientAddressResolver } from './access/client-address.js';
import { createConnectionCounter } from './access/connection-counter.js';
import type { Limits } from './access/limits.js';
import { streamRoute } from './api/stream-route.js';
import { createFeedRelay } from './gateway/feed-relay.js';
import { createGateway, type Gateway } from './gateway/gateway.js';
import type { TickerOptions, TickerParts } from './ticker-options.js';
import type { UsageRecorder } from './usage/usage-recorder.js';

export interface GatewayRoleDeps extends TickerParts {
  httpServer: HttpServer;
  access: AccessRegistry;
  limits: Limits;
  addressLimits: AddressLimits;
  usage: UsageRecorder | null;
  /** where the SSE stream route is mounted once the gateway it rides on is built */
  streamMount: Router;
}

/** The serving side: the relay follows the log, the gateway serves Socket.IO clients, the stream route SSE ones. */
export async function startGatewayRole(p: GatewayRoleDeps, o: TickerOptions): Promise<Gateway> {
  const { started, access, limits, log, logger, metrics } = p;
  const relay = await createFeedRelay({
    subscriber: p.connections.connect('subscriber', 'subscriber'),
    log,
    logger: logger.child({ part: 'relay' }),
    // Memory must never reach back further than the log is sure to: the log is the truth,
    // and a `since` it no longer holds gets a reset, not a replay from memory.
    bufferSize: Math.min(o.relayBufferSize ?? 10_000, o.config.retention.maxEvents),
  });
  started.push({ name: 'relay', close: () => relay.close() });
  const connections = await createConnectionCounter(p.redis, p.prefix);
  started.push({ name: 'connection-counter', close: () => connections.close() });
  const addressOf = clientAddressResolver(o.config.trustedProxies);
  const gateway = await createGateway({
    httpServer: p.httpServer,
    access,
    limits,
    connections,
    addressOf,
    addressLimits: p.addressLimits,
    log,
    relay,
    metrics,
    logger: logger.child({ part: 'gateway' }),
    usage: p.usage!,
    connectTimeoutMs: o.config.limits.connectTimeoutMs,
    ...(o.shutdownSpreadMs !== undefined ? { shutdownSpreadMs: o.shutdownSpreadMs } : {}),
  });
  started.push({ name: 'gateway', close: () => gateway.close() });
  const streamLogger = logger.child({ part: 'stream' });
  p.streamMount.use(
    streamRoute({
      ...o.stream,
      access,
      limits,
      connections,
      log,
      relay,
      gateway,
      metrics,
      logger: streamLogger,
      addressLimits: p.addressLimits,
      addressOf,
      usage: p.usage,
    }),
  );
  return gateway;
}
