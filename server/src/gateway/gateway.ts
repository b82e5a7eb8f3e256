import type { Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import {
  REPLAY_PAGE_MAX_EVENTS,
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
import type { AddressOf } from '../access/client-address.js';
import type { AddressLimits } from '../access/address-limits.js';
import type { ConnectionCounter } from '../access/connection-counter.js';
import type { Limits } from '../access/limits.js';
import type { FeedLog } from '../log/feed-log.js';
import type { FeedRelay } from './feed-relay.js';
import { queryFeed, sinceAhead, viewFor, type FeedAnswer } from '../log/feed-query.js';
import { delayedEvents } from '../log/delayed-view.js';
import { withdrawalOf, type LogEvent } from '../log/log-event.js';
import { subscriptionOf, type Subscription } from '../log/subscription.js';
import { eventRooms, roomsOf } from './rooms.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { badRequest } from '../validation.js';
import { byeInfo } from './bye.js';
import { DelayLine } from './delay-line.js';
import { protocolVersionAccepted } from './protocol-version.js';
import { DEFAULT_PAGE_BOUNDS, jsonBytes, replayPage } from '../log/replay-pages.js';
import { EDITOR_ENTITLEMENT, editorKeyRecord } from './editor-socket.js';
import type { UsageRecorder } from '../usage/usage-recorder.js';
import { watchBackpressure, type Backpressure, type BackpressureOptions } from './backpressure.js';

export interface SocketData {
  key: KeyRecord;
  sub: Subscription | null;
  /** the filter as asked for, so a reload can re-apply it under new entitlements */
  filter: { topics?: string[]; symbols?: string[] } | null;
  rooms: string[];
  /** subscribe/unsubscribe run one at a time per socket */
  chain: Promise<void>;
  /** the `seq` of the last replay page with `more`: its continuation is not charged as a new message */
  pageAt: number | null;
  /** the client's address, for per-address limits */
  ip: string;
}

export type TickerServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type TickerSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

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

/** How long a subscribe with a `since` ahead of this gateway waits for it to catch up. */
const CATCH_UP_MS = 2000;
const MAX_MESSAGE_BYTES = 16 * 1024;

function errorAck(err: unknown): AckError {
  const e = err instanceof TickerError ? err : new TickerError('unavailable', 'the feed store is unreachable; try again');
  return { ok: false, error: e.toJSON() };
}

const delaysOf = (access: AccessRegistry) => access.groups.map((g) => g.delaySeconds);

/** Whether the socket's underlying connection has already closed. */
const gone = (socket: TickerSocket): boolean => socket.conn.readyState === 'closed' || socket.conn.readyState === 'closing';

/**
 * Runs `release` once when the connection closes, however early: a client that leaves during
 * the handshake never gets a 'disconnect', and whatever it held (a slot) would be held for good.
 */
function onGone(socket: TickerSocket, release: () => void): void {
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    release();
  };
  if (gone(socket)) return once();
  socket.conn.once('close', once);
  socket.once('disconnect', once);
}

export async function createGateway(deps: GatewayDeps): Promise<Gateway> {
  const { access, limits, connections, log, relay, logger, metrics, usage } = deps;
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

  const originAllowed = (key: KeyRecord, socket: TickerSocket): boolean => {
    if (key.origins === null) return true;
    const origin = socket.handshake.headers.origin;
    return origin !== undefined && key.origins.has(origin);
  };

  io.use(async (socket, next) => {
    if (!protocolVersionAccepted((socket.handshake.auth as { v?: unknown }).v)) return next(new Error(CONNECT_ERROR.unsupported_version));
    const key = recordOf(socket);
    if (key === undefined) {
      // Only unknown credentials meet the lockout: a valid key is never refused for others' failures.
      const ip = deps.addressOf(socket.request);
      usage?.unknownKey(ip);
      if ((await limits.authBlocked(ip)) !== null) return next(new Error(CONNECT_ERROR.rate_limited));
      await limits.authFailed(ip);
      return next(new Error(CONNECT_ERROR.unauthorized));
    }
    if (!originAllowed(key, socket)) {
      // Not a guess (the key is right): refused, but not counted against the address.
      logger.info({ keyRef: key.ref, origin: socket.handshake.headers.origin }, 'widget key used from an origin it is not bound to');
      usage?.refused(key, socket.handshake.headers.origin, socket.handshake.headers.referer);
      return next(new Error(CONNECT_ERROR.unauthorized));
    }
    const ip = deps.addressOf(socket.request);
    if (!deps.addressLimits.openSocket(ip)) return next(new Error(CONNECT_ERROR.too_many_connections));
    if (key.maxConnections !== null) {
      const admitted = await connections.tryAcquire(key.digest, key.maxConnections).catch(() => true);
      if (!admitted) {
        deps.addressLimits.closeSocket(ip);
        return next(new Error(CONNECT_ERROR.too_many_connections));
      }
      onGone(socket, () => connections.release(key.digest));
    }
    onGone(socket, () => deps.addressLimits.closeSocket(ip));
    // The client left during the handshake (its slots are already back): nothing to admit.
    if (gone(socket)) return next(new Error('gone'));
    socket.data.ip = ip;
    socket.data.key = key;
    socket.data.sub = null;
    socket.data.filter = null;
    socket.data.rooms = [];
    socket.data.chain = Promise.resolve();
    socket.data.pageAt = null;
    next();
  });

  io.on('connection', (socket) => {
    if (usage) {
      usage.connected(socket.id, socket.data.key, socket.handshake.headers.origin);
      socket.once('disconnect', () => usage.disconnected(socket.id));
    }
    // Every packet, known event or not, counts against its address; an unknown event also
    // counts against its socket, and a socket that floods them is cut off.
    socket.use(([event, ...args], next) => {
      void addressEvent(socket, event, args).then((refusal) => {
        if (refusal === null) return next();
        const ack = args.at(-1);
        if (typeof ack === 'function') (ack as (r: AckError) => void)(refusal);
      });
    });
    // A flood of messages is answered, not served: the limiter runs before the work is queued.
    const flooded = async (): Promise<AckError | null> => {
      const wait = await limits.socketMessage(socket.id);
      return wait === null ? null : errorAck(new TickerError('rate_limited', `too many messages; retry in ${wait} s`));
    };
    socket.on('subscribe', (request, ack) => {
      if (typeof ack !== 'function') return;
      // The next page of a replay is not charged: pages only move forward through a bounded log.
      const continues = socket.data.pageAt !== null && (request as { since?: unknown } | null)?.since === socket.data.pageAt;
      const charge = async () => {
        const wait = await deps.addressLimits.subscribe(socket.data.ip);
        if (wait !== null) return errorAck(new TickerError('rate_limited', `too many subscribes from this address; retry in ${wait} s`));
        return flooded();
      };
      void (continues ? Promise.resolve(null) : charge()).then((refused) => {
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

  const KNOWN_EVENTS = new Set(['subscribe', 'unsubscribe']);
  const addressEvent = async (socket: TickerSocket, event: unknown, _args: unknown[]): Promise<AckError | null> => {
    const wait = await deps.addressLimits.socketEvent(socket.data.ip);
    if (wait !== null) return errorAck(new TickerError('rate_limited', `too many messages from this address; retry in ${wait} s`));
    if (typeof event === 'string' && KNOWN_EVENTS.has(event)) return null;
    if ((await limits.socketMessage(socket.id)) !== null && socket.connected) {
      logger.info({ sid: socket.id, ip: socket.data.ip }, 'socket flooding unknown events cut off');
      metrics.shed.inc({ reason: 'flood' });
      socket.disconnect(true);
    }
    return errorAck(new TickerError('bad_request', 'unknown event'));
  };

  // Work queued by a socket that has gone is dropped, not run for nobody.
  let tasksDropped = 0;
  metrics.gauge('ticker_socket_tasks_dropped', 'Subscribes and unsubscribes dropped since start because their socket had gone', [], (g) =>
    g.set(tasksDropped),
  );
  const serially = (socket: TickerSocket, task: () => Promise<void>) => {
    const run = async (): Promise<void> => {
      if (socket.connected) return task();
      tasksDropped++;
    };
    socket.data.chain = socket.data.chain.then(run).catch((err: unknown) => {
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
    // Off the live path while the answer is put together; it is completed from memory and the
    // rooms are joined in one synchronous step at the end, so nothing is missed or doubled.
    setRooms(socket, []);
    socket.data.sub = null;
    // A reload may change the key's entitlement while this subscribe awaits: the answer is then
    // built again under the entitlement in force, and rooms are joined only for that one.
    // A position from another epoch means nothing here (the numbers may have been reused):
    // the client gets a fresh snapshot, marked as a reset.
    const epoch = relay.epoch;
    const otherEpoch = parsed.data.epoch !== undefined && parsed.data.since !== undefined && parsed.data.epoch !== epoch;
    const since = otherEpoch ? undefined : parsed.data.since;
    for (let attempt = 0; ; attempt++) {
      const entitlement = socket.data.key.entitlement;
      const answer = await answerSubscribe(socket, subscriptionOf(entitlement, parsed.data), since, parsed.data.limit);
      if (socket.data.key.entitlement !== entitlement) {
        if (attempt < 3) continue;
        throw new TickerError('unavailable', 'the access list keeps changing; try again');
      }
      if (relay.epoch !== epoch) throw new TickerError('unavailable', 'the feed started again; resubscribe');
      const sub = subscriptionOf(entitlement, parsed.data);
      if (answer.more) {
        // One page of a longer replay: not live yet; the client asks again from `seq`.
        socket.data.pageAt = answer.seq;
        metrics.replays.inc();
        const page: SubscribeAck = { ok: true, headlines: answer.headlines, seq: answer.seq, epoch, more: true };
        if (sub.refusedTopics.length > 0) page.refused = { topics: [...sub.refusedTopics] };
        return page;
      }
      socket.data.pageAt = null;
      setRooms(socket, roomsOf(sub));
      socket.data.sub = sub;
      socket.data.filter = parsed.data;
      const ack: SubscribeAck = { ok: true, headlines: answer.headlines, seq: answer.seq, epoch };
      if (parsed.data.since !== undefined) (answer.reset || otherEpoch ? metrics.resets : metrics.replays).inc();
      if (answer.reset || otherEpoch) ack.reset = true;
      if (sub.refusedTopics.length > 0) ack.refused = { topics: [...sub.refusedTopics] };
      return ack;
    }
  }

  /**
   * The subscribe answer, complete up to the relay's (or the delay lane's) position when it
   * returns; or, for a replay longer than a page, one page with `more` (the socket stays off the
   * live path until the last page).
   */
  async function answerSubscribe(
    socket: TickerSocket,
    sub: Subscription,
    since: number | undefined,
    limit: number | undefined,
  ): Promise<FeedAnswer & { more?: true }> {
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
    const view = viewFor(sub);
    if (delay > 0) return answerDelayed(sub, since, limit, delay, horizon);
    let answer: FeedAnswer;
    let bytes = 0;
    if (since !== undefined) {
      // A replay comes in pages (replay-pages.ts); only the last one joins live delivery.
      const page = await replayPage(log, relay, view, since, horizon(), DEFAULT_PAGE_BOUNDS, () => !socket.connected);
      if (page.more) return { headlines: page.headlines, seq: page.seq, more: true };
      bytes = page.bytes;
      answer = page.reset ? await queryFeed(log, sub, { since, limit, upTo: horizon() }) : { headlines: page.headlines, seq: page.seq };
    } else {
      answer = await queryFeed(log, sub, { limit, upTo: horizon() });
    }
    // Complete it up to the horizon: what arrived meanwhile is added if the page has room for
    // it; else it is one more page.
    const paging = since !== undefined && answer.reset === undefined;
    const room = (added: Headline[]): boolean => {
      if (!paging) return true;
      for (const h of added) bytes += jsonBytes(h);
      return answer.headlines.length + added.length <= DEFAULT_PAGE_BOUNDS.maxEvents && bytes <= DEFAULT_PAGE_BOUNDS.maxBytes;
    };
    const visible = (events: LogEvent[], upTo: number) =>
      events.filter((ev) => ev.h.seq <= upTo).map(view).filter((h): h is Headline => h !== null);
    for (;;) {
      if (!socket.connected) throw new TickerError('unavailable', 'disconnected');
      const upTo = horizon();
      if (answer.seq >= upTo) return answer;
      const tail = relay.recentAfter(answer.seq);
      if (tail !== null) {
        const added = visible(tail, upTo);
        if (!room(added)) return { ...answer, more: true };
        return { ...answer, headlines: [...answer.headlines, ...added], seq: upTo };
      }
      const more = await log.readAfter(answer.seq, view, REPLAY_PAGE_MAX_EVENTS, upTo);
      if (!room(more.headlines)) return { ...answer, more: true };
      answer = { ...answer, headlines: [...answer.headlines, ...more.headlines], seq: more.seq };
    }
  }

  /**
   * A delayed key's answer. Its view of a stretch of the log depends on what came after it (a
   * newer event overtakes one still inside the delay), so it is read from the log. Such keys are
   * demo and widget feeds that show a few items: a resume from further back than a page gets a
   * fresh snapshot (`reset`) instead of a replay, which keeps the read bounded.
   */
  async function answerDelayed(
    sub: Subscription,
    since: number | undefined,
    limit: number | undefined,
    delay: number,
    horizon: () => number,
  ): Promise<FeedAnswer> {
    const view = viewFor(sub);
    const upTo = horizon();
    const head = relay.lastSeq;
    const tooFar = since !== undefined && upTo - since > REPLAY_PAGE_MAX_EVENTS;
    const answer = await queryFeed(log, sub, { since: tooFar ? undefined : since, limit, upTo, delayed: { delaySeconds: delay, head } });
    if (tooFar) return { ...answer, reset: true };
    if (answer.seq >= horizon()) return answer;
    // The lane moved on meanwhile: the rest, up to where it is now, in its latest state.
    const rest = await log.range(answer.seq, horizon(), REPLAY_PAGE_MAX_EVENTS);
    const later = await log.range(rest.at(-1)?.h.seq ?? answer.seq, relay.lastSeq, REPLAY_PAGE_MAX_EVENTS * 10);
    const more = delayedEvents(rest, later, delay * 1000).map(view).filter((h): h is Headline => h !== null);
    return { ...answer, headlines: [...answer.headlines, ...more], seq: rest.at(-1)?.h.seq ?? answer.seq };
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
  // once and sends each socket one copy however many of the rooms it is in. Sockets that could
  // see the previous version but not this one (its topics changed) get a withdrawal of the
  // version they saw.
  const taps = new Set<(ev: LogEvent, delaySeconds: number) => void>();
  const broadcast = (ev: LogEvent, delaySeconds: number) => {
    for (const tap of taps) tap(ev, delaySeconds);
    const { h, prev } = ev;
    const rooms: string[] = [];
    const prevRooms: string[] = [];
    for (const g of fanOutGroups()) {
      if (g.delaySeconds !== delaySeconds) continue;
      rooms.push(...eventRooms(g, h));
      if (prev !== null && prev.status !== 'withdrawn') prevRooms.push(...eventRooms(g, prev));
    }
    if (prevRooms.length > 0) {
      const withdrawal = withdrawalOf(prev!, h);
      if (rooms.length === 0) io.to(prevRooms).emit('headline', withdrawal);
      else io.to(prevRooms).except(rooms).emit('headline', withdrawal);
    }
    if (rooms.length === 0) return;
    usage?.delivered(rooms.map((r) => io.of('/').adapter.rooms.get(r)));
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
  const delays = new DelayLine(log, logger.child({ part: 'delay' }), (delaySeconds, ev) => broadcast(ev, delaySeconds));
  const onEvent = (ev: LogEvent) => {
    broadcast(ev, 0);
    delays.push(ev);
  };
  relay.on('event', onEvent);
  const onGap = ({ from, to }: { from: number; to: number }) => metrics.gaps.inc(to - from + 1);
  relay.on('gap', onGap);
  // The feed started again (Redis lost its data): positions clients hold mean nothing now. They
  // reconnect, their `since` is ahead of the feed, and they start afresh from a snapshot.
  const onRestart = () => {
    delays.restart(delaysOf(access), relay.lastSeq).catch((err: unknown) => logger.error({ err }, 'delay lanes not restarted'));
    for (const socket of io.of('/').sockets.values()) {
      socket.emit('bye', byeInfo('feed_restarted'));
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
    const perKey = new Map<string, number>();
    for (const socket of io.of('/').sockets.values()) {
      const fresh = recordOf(socket);
      // Revoked, or its page's origin is no longer licensed: cut off.
      if (fresh === undefined || !originAllowed(fresh, socket)) {
        metrics.shed.inc({ reason: 'revoked' });
        socket.emit('bye', byeInfo('revoked'));
        socket.disconnect(true);
        continue;
      }
      // A lowered maxConnections applies to open sockets too (the oldest are kept; per gateway).
      const open = (perKey.get(fresh.digest) ?? 0) + 1;
      perKey.set(fresh.digest, open);
      if (fresh.maxConnections !== null && open > fresh.maxConnections) {
        metrics.shed.inc({ reason: 'too_many_connections' });
        socket.emit('bye', byeInfo('too_many_connections'));
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
    tap: (listener) => (taps.add(listener), () => void taps.delete(listener)),
    horizon: (delaySeconds) => (delaySeconds === 0 ? relay.lastSeq : delays.horizon(delaySeconds)),
    close: () =>
      (closing ??= (async () => {
        relay.off('event', onEvent);
        relay.off('gap', onGap);
        relay.off('restart', onRestart);
        backpressure.close();
        access.off('changed', onAccessChanged);
        delays.close();
        for (const socket of io.of('/').sockets.values()) {
          socket.emit('bye', byeInfo('shutdown'));
          socket.disconnect(true);
        }
        await new Promise<void>((resolve) => {
          io.close(() => resolve());
        });
      })()),
  };
}
