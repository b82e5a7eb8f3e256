import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import type { AccessRegistry } from '../access/access-registry.js';
import type { AddressOf } from '../access/client-address.js';
import type { AddressLimits } from '../access/address-limits.js';
import type { ConnectionCounter } from '../access/connection-counter.js';
import type { Limits } from '../access/limits.js';
import type { FeedLog } from '../log/feed-log.js';
import type { LogEvent } from '../log/log-event.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { UsageRecorder } from '../usage/usage-recorder.js';
import { reapplyAccess } from './access-reload.js';
import { watchBackpressure, type Backpressure, type BackpressureOptions } from './backpressure.js';
import { DEFAULT_SHUTDOWN_SPREAD_MS, spreadByes } from './bye.js';
import { overloadCheck, type OverloadOptions } from './overload.js';
import { createFanOut } from './fan-out.js';
import type { FeedRelay } from './feed-relay.js';
import { countConnection, handshake } from './handshake.js';
import { disposeAll, on, type Disposer } from './listen.js';
import { sessionGate } from './engine-sessions.js';
import { createRequestLimits } from './request-limits.js';
import { openSockets, type TickerServer } from './socket-data.js';
import { createSubscriptions } from './subscriptions.js';

export type { SocketData, TickerServer } from './socket-data.js';

export interface GatewayDeps {
  httpServer: HttpServer;
  access: AccessRegistry;
  limits: Limits;
  connections: ConnectionCounter;
  /** the client's address (X-Forwarded-For believed from trusted proxies only) */
  addressOf: AddressOf;
  addressLimits: AddressLimits;
  log: FeedLog;
  relay: FeedRelay;
  logger: Logger;
  metrics: Metrics;
  /** slow-consumer limits (defaults in backpressure.ts) */
  backpressure?: Omit<BackpressureOptions, 'logger'>;
  /** licence usage: counted in memory here, flushed by the usage module */
  usage?: UsageRecorder;
  /** when new connections are refused as overloaded (event-loop lag; defaults in overload.ts) */
  overload?: OverloadOptions;
  /** how long a transport session may take to complete its Socket.IO CONNECT (limits.connectTimeoutMs) */
  connectTimeoutMs: number;
  /** the window a shutdown spreads its goodbyes over (default DEFAULT_SHUTDOWN_SPREAD_MS) */
  shutdownSpreadMs?: number;
}

export interface Gateway {
  readonly io: TickerServer;
  readonly backpressure: Backpressure;
  /** Every event as this gateway delivers it to keys with `delaySeconds` (0: live), in seq order; returns the disposer. (The SSE stream rides on it.) */
  /** every event as it is broadcast (with the version it replaces), per delay lane */
  tap(listener: (ev: LogEvent, delaySeconds: number) => void): () => void;
  /** The seq a key with that delay has been delivered up to. */
  horizon(delaySeconds: number): number;
  close(): Promise<void>;
}

const MAX_MESSAGE_BYTES = 16 * 1024;

/**
 * The Socket.IO gateway: the handshake admits clients (handshake.ts), their subscribes are served
 * (subscriptions.ts), the relay's events reach them (fan-out.ts), a reload re-applies access
 * (access-reload.ts). Listeners registered here are removed through their disposers on close.
 */
export async function createGateway(deps: GatewayDeps): Promise<Gateway> {
  const { access, relay, logger, metrics, usage } = deps;
  const sessions = sessionGate(deps);
  const io: TickerServer = new Server(deps.httpServer, {
    maxHttpBufferSize: MAX_MESSAGE_BYTES,
    // Bare transport sessions are capped per address, and one whose CONNECT (sent at once by
    // real clients) has not been admitted within connectTimeoutMs is dropped (engine-sessions.ts;
    // Socket.IO's own timeout, later, only starts a close that a silent session drags out).
    allowRequest: sessions.allowRequest,
    connectTimeout: deps.connectTimeoutMs + 1000,
    // Widgets embed cross-origin; a widget key's origin is checked in the handshake.
    cors: { origin: true, credentials: false },
    serveClient: true,
  });
  sessions.attach(io, deps.connectTimeoutMs);
  // The lag is the backpressure check's, started below; until then there is none.
  let lagMs = (): number => 0;
  io.use(handshake({ ...deps, overloaded: overloadCheck(() => lagMs(), deps.overload) }));

  const fanOut = createFanOut({ io, access, log: deps.log, relay, logger, metrics, usage });
  const requestLimits = createRequestLimits(deps);
  const subscriptions = createSubscriptions({ log: deps.log, relay, delays: fanOut.delays, requestLimits, logger, metrics });
  io.on('connection', (socket) => {
    countConnection(socket, usage);
    requestLimits.guard(socket);
    subscriptions.attach(socket);
  });

  metrics.gauge('ticker_sockets_connected', 'Open client sockets at this gateway', [], (g) => g.set(io.of('/').sockets.size));
  await fanOut.syncDelays();
  const backpressure = watchBackpressure(io, { ...deps.backpressure, logger, onShed: () => metrics.shed.inc({ reason: 'slow_consumer' }) });
  lagMs = () => backpressure.stats().lagMs;
  metrics.gauge('ticker_backpressure_owed_bytes', 'Bytes all sockets owed at the last check', [], (g) =>
    g.set(backpressure.stats().owedBytes),
  );
  metrics.gauge(
    'ticker_event_loop_lag_seconds',
    'Event-loop lag seen by the backpressure check',
    [],
    (g) => g.set(backpressure.stats().lagMs / 1000),
    'max',
  );

  // A reload closes the sockets of revoked keys and re-applies changed entitlements.
  const disposers: Disposer[] = [
    on(access, 'changed', () => {
      fanOut.syncDelays().catch((err: unknown) => logger.error({ err }, 'delay lanes not synced'));
      reapplyAccess(io, access, metrics);
    }),
  ];

  let closing: Promise<void> | null = null;
  return {
    io,
    backpressure,
    tap: (listener) => fanOut.tap(listener),
    horizon: (delaySeconds) => (delaySeconds === 0 ? relay.lastSeq : fanOut.delays.horizon(delaySeconds)),
    close: () =>
      (closing ??= (async () => {
        fanOut.close();
        backpressure.close();
        disposeAll(disposers);
        await spreadByes([...openSockets(io)], 'shutdown', deps.shutdownSpreadMs ?? DEFAULT_SHUTDOWN_SPREAD_MS);
        // io.close's promise settles before the HTTP server has closed; its callback after.
        await new Promise<void>((resolve) => {
          io.close(() => resolve()).catch(() => resolve());
        });
      })()),
  };
}
