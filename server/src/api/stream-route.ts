// `GET /api/stream`: the tape as Server-Sent Events, for consumers with no Socket.IO client
// (curl -N, a browser's EventSource, any language's HTTP library). It follows the one data
// flow: live events come from the gateway as it delivers them (relay, and the delay line for
// delayed keys); a resume is replayed from the log, bounded; the same key checks, entitlements,
// delay and connection limits as the socket apply. Everything a stream holds is released when
// the client goes away.
import type { Request, Response } from 'express';
import { Router } from 'express';
import {
  REPLAY_PAGE_MAX_EVENTS,
  TickerError,
  type Headline,
} from '@headline-ticker/sdk/protocol';
import type { AccessRegistry, KeyRecord } from '../access/access-registry.js';
import type { ConnectionCounter } from '../access/connection-counter.js';
import type { Limits } from '../access/limits.js';
import type { Gateway } from '../gateway/gateway.js';
import type { FeedRelay } from '../gateway/feed-relay.js';
import { protocolVersionAccepted } from '../gateway/protocol-version.js';
import type { FeedLog } from '../log/feed-log.js';
import { queryFeed, viewFor } from '../log/feed-query.js';
import type { LogEvent } from '../log/log-event.js';
import { subscriptionOf, type Subscription } from '../log/subscription.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { keyOf, requireKey } from './auth.js';
import { parseOr400 } from './http-errors.js';
import { StreamQuerySchema } from './stream-query.js';

/** Why a `reset` event was sent (docs/protocol.md). */
export type StreamResetReason = 'replay_bound' | 'log_trimmed' | 'feed_restarted';

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
}

export const HEARTBEAT_MS = 15_000;

interface OpenStream {
  key: KeyRecord;
  /** the key as the client sent it, to look it up again after a reload */
  secret: string;
  /** ends the stream; a `bye` event says why, unless the client is simply to reconnect */
  end(reason: 'revoked' | 'feed_restarted' | 'slow_consumer' | 'reconnect'): void;
}

/** The key as sent: `Authorization: Bearer <key>` or `?key=` (requireKey has accepted one of them). */
function secretOf(req: Request): string {
  const m = /^Bearer\s+(\S+)\s*$/iu.exec(req.headers.authorization ?? '');
  return m?.[1] ?? String(req.query['key']);
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
  const { access, limits, connections, log, relay, gateway, metrics, logger } = deps;
  const heartbeatMs = deps.heartbeatMs ?? HEARTBEAT_MS;
  const retryMs = deps.retryMs ?? 2000;
  const retryJitterMs = deps.retryJitterMs ?? 3000;
  const maxOwedBytes = deps.maxOwedBytes ?? 1024 * 1024;
  const open = new Set<OpenStream>();
  metrics.gauge('ticker_streams_open', 'Open Server-Sent Events streams at this gateway', [], (g) => g.set(open.size));

  // A reload cuts off revoked keys; a restarted feed ends every stream (clients come back with
  // a Last-Event-ID ahead of the new feed and are reset onto it).
  access.on('changed', () => {
    for (const s of open) {
      const fresh = access.key(s.secret);
      // Revoked: said so. Licensed differently: the client reconnects and resumes under the new terms.
      if (fresh === undefined) s.end('revoked');
      else if (fresh.entitlement.group !== s.key.entitlement.group) s.end('reconnect');
    }
  });
  relay.on('restart', () => {
    for (const s of open) s.end('feed_restarted');
  });

  const router = Router();
  router.get('/api/stream', requireKey(access, limits), async (req, res) => {
    const key = keyOf(res);
    const q = parseOr400(StreamQuerySchema, req.query, 'query');
    if (!protocolVersionAccepted(q.v)) throw new TickerError('bad_request', `protocol version ${q.v} is not supported by this server`);
    if (key.origins !== null) {
      const origin = req.headers.origin;
      if (origin === undefined || !key.origins.has(origin)) throw new TickerError('unauthorized', 'unknown or revoked API key');
    }
    const since = resumePoint(req, q.since);
    const sub = subscriptionOf(key.entitlement, { topics: q.topics, symbols: q.symbols });
    const delay = sub.entitlement.delaySeconds;
    if (key.maxConnections !== null) {
      const admitted = await connections.tryAcquire(key.digest, key.maxConnections).catch(() => true);
      if (!admitted) throw new TickerError('too_many_connections', 'the key has too many open connections');
    }
    try {
      await serve(res, key, secretOf(req), sub, delay, since, q.limit);
    } finally {
      if (key.maxConnections !== null) connections.release(key.digest);
    }
  });

  async function serve(res: Response, key: KeyRecord, secret: string, sub: Subscription, delay: number, since: number | undefined, limit: number | undefined): Promise<void> {
    // Live events are buffered from before the replay is read, so the hand-over from replay to
    // live misses nothing; `sent` drops what the replay already carried.
    let sent = -1;
    let pending: LogEvent[] | null = [];
    let ended = false;
    const closed = new Promise<void>((resolve) => res.once('close', resolve));

    const write = (chunk: string) => {
      if (ended) return;
      res.write(chunk);
      if (res.writableLength > maxOwedBytes) stream.end('slow_consumer');
    };
    // What this reader sees of an event: it, a withdrawal of the version it saw, or nothing.
    const view = viewFor(sub);
    const send = (h: Headline | null, seq: number) => {
      if (seq <= sent) return;
      sent = seq;
      if (h !== null) write(`id: ${h.seq}\nevent: headline\ndata: ${JSON.stringify(h)}\n\n`);
    };
    const sendAll = (headlines: readonly Headline[]) => {
      for (const h of headlines) send(h, h.seq);
    };
    const reset = (seq: number, reason: StreamResetReason) => {
      sent = Math.max(sent, seq);
      write(`id: ${seq}\nevent: reset\ndata: ${JSON.stringify({ seq, reason })}\n\n`);
    };
    const stream: OpenStream = {
      key,
      secret,
      end(reason) {
        if (ended) return;
        ended = true; // first: the goodbye below must not re-enter through write()
        if (reason === 'slow_consumer' || reason === 'revoked') metrics.shed.inc({ reason });
        if (reason !== 'reconnect') res.write(`event: bye\ndata: ${JSON.stringify({ reason })}\n\n`);
        res.end();
      },
    };
    const untap = gateway.tap((ev, d) => {
      if (d !== delay) return;
      if (pending !== null) pending.push(ev);
      else send(view(ev), ev.h.seq);
    });
    open.add(stream);
    const heartbeat = setInterval(() => write(': heartbeat\n\n'), heartbeatMs);
    heartbeat.unref();
    try {
      res.status(200).set({
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-transform',
        Connection: 'keep-alive',
        // nginx: never buffer this response (deploy/nginx.conf also says so for the location)
        'X-Accel-Buffering': 'no',
        'Access-Control-Allow-Origin': '*',
      });
      res.flushHeaders();
      // Jitter spreads the reconnects of many clients after a gateway restart.
      write(`retry: ${retryMs + Math.floor(Math.random() * retryJitterMs)}\n\n`);

      let upTo: number;
      let head: number;
      try {
        upTo = gateway.horizon(delay);
        head = await log.currentSeq();
      } catch (err) {
        throw err instanceof TickerError ? err : new TickerError('unavailable', 'the feed store is unreachable', { cause: err });
      }
      // A delayed key sees each headline in its latest state (what came after its horizon counts).
      const delayed = delay > 0 ? { delaySeconds: delay, head } : undefined;
      const snapshot = async () => queryFeed(log, sub, { limit, upTo, delayed });
      if (since === undefined) {
        const first = await snapshot();
        sendAll(first.headlines);
        sent = Math.max(sent, first.seq);
      } else if (since > head) {
        // Ahead of the feed: it started again (its Redis lost its data). Start afresh.
        const first = await snapshot();
        sendAll(first.headlines);
        reset(first.seq, 'feed_restarted');
      } else if (since >= upTo) {
        sent = since; // nothing to replay: live continues after it
      } else {
        const replay = await queryFeed(log, sub, { since, limit: REPLAY_PAGE_MAX_EVENTS, upTo, delayed });
        if (replay.reset) {
          const first = await snapshot();
          sendAll(first.headlines);
          reset(first.seq, 'log_trimmed');
          metrics.resets.inc();
        } else {
          sendAll(replay.headlines);
          if (replay.seq < upTo) reset(upTo, 'replay_bound');
          else sent = Math.max(sent, replay.seq);
        }
      }
      if (since !== undefined) metrics.replays.inc();
      const buffered = pending;
      pending = null;
      for (const ev of buffered) send(view(ev), ev.h.seq);
      await closed;
    } catch (err) {
      // Headers are out: an error can only be said on the stream, then the stream ends.
      const e = err instanceof TickerError ? err : new TickerError('unavailable', 'the feed store is unreachable');
      if (!(err instanceof TickerError)) logger.warn({ err }, 'stream failed');
      write(`event: error\ndata: ${JSON.stringify(e.toJSON())}\n\n`);
      ended = true;
      res.end();
    } finally {
      untap();
      clearInterval(heartbeat);
      open.delete(stream);
      ended = true;
    }
  }

  return router;
}
