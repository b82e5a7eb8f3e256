// `GET /api/stream`: the tape as Server-Sent Events, for consumers with no Socket.IO client
// (curl -N, a browser's EventSource, any language's HTTP library). It follows the one data
// flow: live events come from the gateway as it delivers them (relay, and the delay line for
// delayed keys); a resume is replayed from the log, bounded; the same key checks, entitlements,
// delay and connection limits as the socket apply. Everything a stream holds is released when
// the client goes away.
import type { Request } from 'express';
import { Router } from 'express';
import { TickerError } from '@headline-ticker/sdk/protocol';
import type { AccessRegistry } from '../access/access-registry.js';
import { acquireSlot } from '../access/admission.js';
import type { ConnectionCounter } from '../access/connection-counter.js';
import type { AddressLimits } from '../access/address-limits.js';
import type { AddressOf } from '../access/client-address.js';
import type { Limits } from '../access/limits.js';
import type { Gateway } from '../gateway/gateway.js';
import type { FeedRelay } from '../gateway/feed-relay.js';
import { protocolVersionAccepted } from '../gateway/protocol-version.js';
import type { FeedLog } from '../log/feed-log.js';
import { viewFor } from '../log/feed-query.js';
import type { LogEvent } from '../log/log-event.js';
import { subscriptionOf, type Subscription } from '../log/subscription.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { UsageRecorder } from '../usage/usage-recorder.js';
import { keyOf, requireKey } from './auth.js';
import { parseOr400 } from './http-errors.js';
import { SseStream, type SseOptions } from './sse-stream.js';
import { restartStream, startStream } from './stream-start.js';
import { StreamQuerySchema } from './stream-query.js';

export type { StreamResetReason } from './sse-stream.js';

export interface StreamOptions {
  /** a comment line this often keeps proxies and clients from timing the stream out */
  heartbeatMs?: number;
  /** the reconnect delay a client is told: base plus up to `retryJitterMs`, per connection */
  retryMs?: number;
  retryJitterMs?: number;
  /** bytes a client may owe (unwritten) before it is cut off as a slow consumer */
  maxOwedBytes?: number;
}

export interface StreamRouteDeps extends StreamOptions {
  access: AccessRegistry;
  limits: Limits;
  connections: ConnectionCounter;
  log: FeedLog;
  relay: FeedRelay;
  gateway: Gateway;
  metrics: Metrics;
  logger: Logger;
  /** a stream holds a connection like a socket: it counts against the same per-address cap */
  addressLimits: AddressLimits;
  addressOf: AddressOf;
  /** licence usage: refused widget-key requests, and open streams and their deliveries */
  usage?: UsageRecorder | null;
}

export const HEARTBEAT_MS = 15_000;

/** The key as sent: `Authorization: Bearer <key>` or `?key=` (requireKey has accepted one of them). */
function secretOf(req: Request): string {
  const m = /^Bearer\s+(\S+)\s*$/iu.exec(req.headers.authorization ?? '');
  const query = req.query['key'];
  return m?.[1] ?? (typeof query === 'string' ? query : '');
}

/** The last event id the client saw: the `Last-Event-ID` header (EventSource's reconnect) or `?since=`. */
function resumePoint(req: Request, since: number | undefined): number | undefined {
  const header = req.headers['last-event-id'];
  if (typeof header === 'string' && header.trim() !== '') {
    if (!/^\d{1,15}$/u.test(header.trim())) throw new TickerError('bad_request', 'Last-Event-ID must be a seq (a whole number)');
    return Number(header.trim());
  }
  return since;
}

export function streamRoute(deps: StreamRouteDeps): Router {
  const { access, limits, connections, relay, metrics } = deps;
  const options: SseOptions = {
    heartbeatMs: deps.heartbeatMs ?? HEARTBEAT_MS,
    retryMs: deps.retryMs ?? 2000,
    retryJitterMs: deps.retryJitterMs ?? 3000,
    maxOwedBytes: deps.maxOwedBytes ?? 1024 * 1024,
  };
  /** open streams, each with what it does when the feed restarts */
  const open = new Map<SseStream, () => void>();
  metrics.gauge('ticker_streams_open', 'Open Server-Sent Events streams at this gateway', [], (g) => g.set(open.size));

  // A reload cuts off revoked keys; a restarted feed (new epoch) puts every stream onto it.
  access.on('changed', () => {
    for (const s of open.keys()) {
      const fresh = access.key(s.secret);
      // Revoked: said so. Licensed differently: the client reconnects and resumes under the new terms.
      if (fresh === undefined) s.end('revoked');
      else if (fresh.entitlement.group !== s.key.entitlement.group) s.end('reconnect');
    }
  });
  relay.on('restart', () => {
    for (const restart of open.values()) restart();
  });

  const router = Router();
  router.get('/api/stream', requireKey(access, limits, deps.usage), async (req, res) => {
    const key = keyOf(res);
    const q = parseOr400(StreamQuerySchema, req.query, 'query');
    if (!protocolVersionAccepted(q.v)) throw new TickerError('bad_request', `protocol version ${q.v} is not supported by this server`);
    if (key.origins !== null) {
      const origin = req.headers.origin;
      if (origin === undefined || !key.origins.has(origin)) throw new TickerError('unauthorized', 'unknown or revoked API key');
    }
    const since = resumePoint(req, q.since);
    const ip = deps.addressOf(req);
    if (!deps.addressLimits.openSocket(ip)) throw new TickerError('too_many_connections', 'too many open connections from this address');
    // Listened for before any await: a client that leaves while admission waits on Redis still
    // gives back everything it took.
    let left = req.socket.destroyed;
    const closed = new Promise<void>((resolve) => res.once('close', () => ((left = true), resolve())));
    try {
      const secret = secretOf(req);
      // The key as it stands after the slot is taken (a reload may land meanwhile).
      const current = () => {
        const fresh = access.key(secret);
        return fresh !== undefined && (fresh.origins === null || fresh.origins.has(req.headers.origin ?? '')) ? fresh : undefined;
      };
      const admission = await acquireSlot({ connections, current, gone: () => left });
      if (!admission.ok) {
        if (admission.reason === 'gone') return;
        if (admission.reason === 'revoked') throw new TickerError('unauthorized', 'unknown or revoked API key');
        throw new TickerError('too_many_connections', 'the key has too many open connections');
      }
      try {
        const sub = subscriptionOf(admission.key.entitlement, { topics: q.topics, symbols: q.symbols });
        const stream = new SseStream(res, options, metrics, admission.key, secret);
        await serveStream(deps, open, { closed, stream, origin: req.headers.origin }, sub, since, q.limit);
      } finally {
        admission.release?.();
      }
    } finally {
      deps.addressLimits.closeSocket(ip);
    }
  });

  return router;
}

/** Serves one admitted stream until the client goes: its start, then live events as the gateway delivers them. */
async function serveStream(
  deps: StreamRouteDeps,
  open: Map<SseStream, () => void>,
  { closed, stream, origin }: { closed: Promise<void>; stream: SseStream; origin: string | undefined },
  sub: Subscription,
  since: number | undefined,
  limit: number | undefined,
): Promise<void> {
  const delay = sub.entitlement.delaySeconds;
  // Live events are buffered from before the replay is read, so the hand-over from replay to
  // live misses nothing; `stream.sent` drops what the replay already carried.
  let pending: LogEvent[] | null = [];
  // What this reader sees of an event: it, a withdrawal of the version it saw, or nothing.
  const view = viewFor(sub);
  // Licence usage: a viewer like a socket, and each live headline written a delivery.
  const counted = deps.usage?.stream(stream.key, origin);
  const untap = deps.gateway.tap((ev, d) => {
    if (d !== delay) return;
    if (pending !== null) pending.push(ev);
    else if (stream.send(view(ev), ev.h.seq)) counted?.delivered();
  });
  const goLive = () => {
    const buffered = pending ?? [];
    pending = null;
    for (const ev of buffered) if (stream.send(view(ev), ev.h.seq)) counted?.delivered();
  };
  // The start (or after a feed restart, a fresh start), then live; a restart that comes while
  // one is being put together runs right after it.
  let restartAsked = false;
  const run = async (restart: boolean): Promise<void> => {
    pending = [];
    if (restart) await restartStream(deps, stream, sub, limit);
    else await startStream(deps, stream, sub, since, limit);
    while (restartAsked) {
      restartAsked = false;
      await restartStream(deps, stream, sub, limit);
    }
    goLive();
  };
  open.set(stream, () => {
    if (pending === null) return void run(true).catch((err: unknown) => stream.fail(err, deps.logger));
    // What was buffered so far is in the old numbering: dropped, the fresh start covers it.
    pending = [];
    restartAsked = true;
  });
  stream.startHeartbeat();
  try {
    stream.open();
    await run(false);
    await closed;
  } catch (err) {
    stream.fail(err, deps.logger);
  } finally {
    untap();
    counted?.end();
    stream.close();
    open.delete(stream);
  }
}
