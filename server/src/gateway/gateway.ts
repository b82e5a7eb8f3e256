import type { Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import {
  CONNECT_ERROR,
  TickerError,
  type AckError,
  type ClientToServerEvents,
  type Headline,
  type ServerToClientEvents,
  type SubscribeAck,
  type UnsubscribeAck,
} from '@headline-ticker/sdk/protocol';
import { SubscribeRequestSchema, UnsubscribeRequestSchema } from '@headline-ticker/sdk/schemas';
import type { AccessRegistry, KeyRecord } from '../access/access-registry.js';
import type { Entitlement } from '../access/entitlements.js';
import { clientAddress } from '../access/client-address.js';
import type { ConnectionCounter } from '../access/connection-counter.js';
import type { Limits } from '../access/limits.js';
import type { FeedLog } from '../log/feed-log.js';
import type { FeedRelay } from './feed-relay.js';
import { queryFeed, sinceAhead, type FeedAnswer } from '../log/feed-query.js';
import { matches, subscriptionOf, type Subscription } from '../log/subscription.js';
import { eventRooms, roomsOf } from './rooms.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { badRequest } from '../validation.js';
import { DelayLine } from './delay-line.js';
import { EDITOR_ENTITLEMENT, editorKeyRecord } from './editor-socket.js';
import { watchBackpressure, type Backpressure, type BackpressureOptions } from './backpressure.js';

export interface SocketData {
  key: KeyRecord;
  sub: Subscription | null;
  /** the filter as asked for, so a reload can re-apply it under new entitlements */
  filter: { topics?: string[]; symbols?: string[] } | null;
  rooms: string[];
  /** subscribe/unsubscribe run one at a time per socket */
  chain: Promise<void>;
}

export type TickerServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type TickerSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

export interface GatewayDeps {
  httpServer: HttpServer;
  access: AccessRegistry;
  limits: Limits;
  connections: ConnectionCounter;
  log: FeedLog;
  relay: FeedRelay;
  logger: Logger;
  metrics: Metrics;
  /** slow-consumer limits (defaults in backpressure.ts) */
  backpressure?: Omit<BackpressureOptions, 'logger'>;
}

export interface Gateway {
  readonly io: TickerServer;
  readonly backpressure: Backpressure;
  close(): Promise<void>;
}

/** How long a subscribe with a `since` ahead of this gateway waits for it to catch up. */
const CATCH_UP_MS = 2000;
const MAX_MESSAGE_BYTES = 16 * 1024;

function errorAck(err: unknown): AckError {
  const e = err instanceof TickerError ? err : new TickerError('unavailable', 'the feed store is unreachable; try again');
  return { ok: false, error: e.toJSON() };
}

const delaysOf = (access: AccessRegistry) => access.groups.map((g) => g.delaySeconds);

export async function createGateway(deps: GatewayDeps): Promise<Gateway> {
  const { access, limits, connections, log, relay, logger, metrics } = deps;
  const io: TickerServer = new Server(deps.httpServer, {
    maxHttpBufferSize: MAX_MESSAGE_BYTES,
    // Widgets embed cross-origin; a widget key's origin is checked in the handshake below.
    cors: { origin: true, credentials: false },
    serveClient: true,
  });

  /** `auth: { key }` (API and widget keys) or `auth: { token }` (an editor's console). */
  const recordOf = (socket: TickerSocket): KeyRecord | undefined => {
    const auth = socket.handshake.auth as { key?: unknown; token?: unknown };
    if (typeof auth.key === 'string') return access.key(auth.key);
    return typeof auth.token === 'string' ? editorKeyRecord(access, auth.token) : undefined;
  };

  io.use(async (socket, next) => {
    const ip = clientAddress(socket.request);
    if ((await limits.authBlocked(ip)) !== null) return next(new Error(CONNECT_ERROR.rate_limited));
    const key = recordOf(socket);
    if (key === undefined) {
      await limits.authFailed(ip);
      return next(new Error(CONNECT_ERROR.unauthorized));
    }
    if (key.origins !== null) {
      const origin = socket.handshake.headers.origin;
      if (origin === undefined || !key.origins.has(origin)) {
        logger.info({ keyRef: key.ref, origin }, 'widget key used from an origin it is not bound to');
        await limits.authFailed(ip);
        return next(new Error(CONNECT_ERROR.unauthorized));
      }
    }
    if (key.maxConnections !== null) {
      const admitted = await connections.tryAcquire(key.digest, key.maxConnections).catch(() => true);
      if (!admitted) return next(new Error(CONNECT_ERROR.too_many_connections));
      socket.once('disconnect', () => connections.release(key.digest));
    }
    socket.data.key = key;
    socket.data.sub = null;
    socket.data.filter = null;
    socket.data.rooms = [];
    socket.data.chain = Promise.resolve();
    next();
  });

  io.on('connection', (socket) => {
    // A flood of messages is answered, not served: the limiter runs before the work is queued.
    const flooded = async (): Promise<AckError | null> => {
      const wait = await limits.socketMessage(socket.id);
      return wait === null ? null : errorAck(new TickerError('rate_limited', `too many messages; retry in ${wait} s`));
    };
    socket.on('subscribe', (request, ack) => {
      if (typeof ack !== 'function') return;
      void flooded().then((refused) => {
        if (refused) return ack(refused);
        serially(socket, () => subscribe(socket, request).then(ack, (err: unknown) => ack(errorAck(err))));
      });
    });
    socket.on('unsubscribe', (request, ack) => {
      if (typeof ack !== 'function') return;
      void flooded().then((refused) => {
        if (refused) return ack(refused);
        serially(socket, async () => ack(unsubscribe(socket, request)));
      });
    });
  });

  const serially = (socket: TickerSocket, task: () => Promise<void>) => {
    socket.data.chain = socket.data.chain.then(task).catch((err: unknown) => {
      logger.error({ err }, 'socket task failed');
    });
  };

  const setRooms = (socket: TickerSocket, rooms: string[]) => {
    for (const r of socket.data.rooms) void socket.leave(r);
    for (const r of rooms) void socket.join(r);
    socket.data.rooms = rooms;
  };

  async function subscribe(socket: TickerSocket, request: unknown): Promise<SubscribeAck> {
    const parsed = SubscribeRequestSchema.safeParse(request);
    if (!parsed.success) return errorAck(badRequest(parsed.error, 'subscribe'));
    const { since, limit } = parsed.data;
    const sub = subscriptionOf(socket.data.key.entitlement, parsed.data);
    // Off the live path while the answer is put together; it is completed from memory and the
    // rooms are joined in one synchronous step at the end, so nothing is missed or doubled.
    setRooms(socket, []);
    socket.data.sub = null;

    // A real-time key sees up to the relay's last event; a delayed key up to its lane's horizon.
    const delay = sub.entitlement.delaySeconds;
    const horizon = () => (delay === 0 ? relay.lastSeq : delays.horizon(delay));
    if (since !== undefined && since > horizon()) {
      const caughtUp = delay === 0 ? await relay.waitFor(since, CATCH_UP_MS) : await delays.waitFor(delay, since, CATCH_UP_MS);
      if (!caughtUp) {
        const head = await log.currentSeq();
        if (since > head) throw sinceAhead(since, head);
        throw new TickerError('unavailable', 'this gateway is catching up; try again');
      }
    }
    const match = (h: Headline) => matches(sub, h);
    const visible = (events: Headline[], upTo: number) => events.filter((h) => h.seq <= upTo && match(h));
    const fromMemory = since === undefined ? null : relay.recentAfter(since);
    let answer: FeedAnswer = fromMemory
      ? { headlines: visible(fromMemory, horizon()), seq: horizon() }
      : await queryFeed(log, sub, { since, limit, upTo: horizon() });
    for (;;) {
      const upTo = horizon();
      const tail = relay.recentAfter(answer.seq);
      if (tail !== null) {
        answer = { ...answer, headlines: [...answer.headlines, ...visible(tail, upTo)], seq: upTo };
        break;
      }
      const more = await log.readAfter(answer.seq, match, Number.MAX_SAFE_INTEGER, upTo);
      answer = { ...answer, headlines: [...answer.headlines, ...more.headlines], seq: more.seq };
    }
    setRooms(socket, roomsOf(sub));
    socket.data.sub = sub;
    socket.data.filter = parsed.data;
    const ack: SubscribeAck = { ok: true, headlines: answer.headlines, seq: answer.seq };
    if (since !== undefined) (answer.reset ? metrics.resets : metrics.replays).inc();
    if (answer.reset) ack.reset = true;
    if (sub.refusedTopics.length > 0) ack.refused = { topics: [...sub.refusedTopics] };
    return ack;
  }

  function unsubscribe(socket: TickerSocket, request: unknown): UnsubscribeAck {
    const parsed = UnsubscribeRequestSchema.safeParse(request ?? {});
    if (!parsed.success) return errorAck(badRequest(parsed.error, 'unsubscribe'));
    const current = socket.data.sub;
    const topics = parsed.data.topics ?? [];
    const symbols = parsed.data.symbols ?? [];
    if (current === null || (topics.length === 0 && symbols.length === 0) || topics.includes('*')) {
      setRooms(socket, []);
      socket.data.sub = null;
      socket.data.filter = null;
      return { ok: true };
    }
    if (current.topics === null) {
      return errorAck(new TickerError('bad_request', 'subscribed to everything: unsubscribe all, then subscribe to what you want'));
    }
    const keepTopics = [...current.topics].filter((t) => !topics.includes(t));
    const keepSymbols = [...(current.symbols ?? [])].filter((s) => !symbols.includes(s));
    if (keepTopics.length === 0 && keepSymbols.length === 0) {
      setRooms(socket, []);
      socket.data.sub = null;
      socket.data.filter = null;
      return { ok: true };
    }
    const next = subscriptionOf(current.entitlement, { topics: keepTopics, symbols: keepSymbols });
    setRooms(socket, roomsOf(next));
    socket.data.sub = next;
    socket.data.filter = { topics: keepTopics, symbols: keepSymbols };
    return { ok: true };
  }

  // Fan-out: one broadcast per event to the union of its rooms. Socket.IO encodes the packet
  // once and sends each socket one copy however many of the rooms it is in.
  const broadcast = (h: Headline, delaySeconds: number) => {
    const rooms: string[] = [];
    for (const g of fanOutGroups()) if (g.delaySeconds === delaySeconds) rooms.push(...eventRooms(g, h));
    if (rooms.length === 0) return;
    io.to(rooms).emit('headline', h);
    metrics.delivered.inc({ delayed: delaySeconds > 0 ? 'yes' : 'no' });
    if (delaySeconds === 0) metrics.emitLatency.observe(Math.max(0, Date.now() - Date.parse(h.updatedAt)) / 1000);
  };
  // Editors' consoles watch everything, undelayed, even when no configured key does.
  let groupsCache: { from: readonly Entitlement[]; groups: readonly Entitlement[] } | null = null;
  const fanOutGroups = (): readonly Entitlement[] => {
    if (groupsCache?.from !== access.groups) {
      const from = access.groups;
      const groups = from.some((g) => g.group === EDITOR_ENTITLEMENT.group) ? from : [...from, EDITOR_ENTITLEMENT];
      groupsCache = { from, groups };
    }
    return groupsCache.groups;
  };
  const delays = new DelayLine(log, logger.child({ part: 'delay' }), (delaySeconds, h) => broadcast(h, delaySeconds));
  const onEvent = (h: Headline) => {
    broadcast(h, 0);
    delays.push(h);
  };
  relay.on('event', onEvent);
  const onGap = ({ from, to }: { from: number; to: number }) => metrics.gaps.inc(to - from + 1);
  relay.on('gap', onGap);
  // The feed started again (Redis lost its data): positions clients hold mean nothing now. They
  // reconnect, their `since` is ahead of the feed, and they start afresh from a snapshot.
  const onRestart = () => {
    delays.restart(delaysOf(access), relay.lastSeq).catch((err: unknown) => logger.error({ err }, 'delay lanes not restarted'));
    for (const socket of io.of('/').sockets.values()) {
      socket.emit('bye', { reason: 'feed_restarted' });
      socket.disconnect(true);
    }
  };
  relay.on('restart', onRestart);
  metrics.gauge('ticker_sockets_connected', 'Open client sockets at this gateway', [], (g) => g.set(io.of('/').sockets.size));
  await delays.sync(delaysOf(access), relay.lastSeq);
  const backpressure = watchBackpressure(io, { ...deps.backpressure, logger, onShed: () => metrics.shed.inc({ reason: 'slow_consumer' }) });
  metrics.gauge('ticker_backpressure_owed_bytes', 'Bytes all sockets owed at the last check', [], (g) => g.set(backpressure.stats().owedBytes));
  metrics.gauge('ticker_event_loop_lag_seconds', 'Event-loop lag seen by the backpressure check', [], (g) => g.set(backpressure.stats().lagMs / 1000));

  // A reload closes the sockets of revoked keys and re-applies changed entitlements.
  const onAccessChanged = () => {
    delays.sync(delaysOf(access), relay.lastSeq).catch((err: unknown) => logger.error({ err }, 'delay lanes not synced'));
    for (const socket of io.of('/').sockets.values()) {
      const fresh = recordOf(socket);
      if (fresh === undefined) {
        metrics.shed.inc({ reason: 'revoked' });
        socket.emit('bye', { reason: 'revoked' });
        socket.disconnect(true);
        continue;
      }
      const changed = fresh.entitlement.group !== socket.data.key.entitlement.group;
      socket.data.key = fresh;
      if (changed && socket.data.filter !== null) {
        const sub = subscriptionOf(fresh.entitlement, socket.data.filter);
        setRooms(socket, roomsOf(sub));
        socket.data.sub = sub;
      }
    }
  };
  access.on('changed', onAccessChanged);

  let closing: Promise<void> | null = null;
  return {
    io,
    backpressure,
    close: () =>
      (closing ??= (async () => {
        relay.off('event', onEvent);
        relay.off('gap', onGap);
        relay.off('restart', onRestart);
        backpressure.close();
        access.off('changed', onAccessChanged);
        delays.close();
        for (const socket of io.of('/').sockets.values()) {
          socket.emit('bye', { reason: 'shutdown' });
          socket.disconnect(true);
        }
        await new Promise<void>((resolve) => {
          io.close(() => resolve());
        });
      })()),
  };
}
