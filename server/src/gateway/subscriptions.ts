import { isEverything, TickerError, type SubscribeAck, type UnsubscribeAck } from '@headline-ticker/sdk/protocol';
import { SubscribeRequestSchema, UnsubscribeRequestSchema } from '@headline-ticker/sdk/schemas';
import { subscriptionOf } from '../log/subscription.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { badRequest } from '../validation.js';
import type { RequestLimits } from './request-limits.js';
import { roomsOf } from './rooms.js';
import { errorAck, setRooms, type TickerSocket } from './socket-data.js';
import { answerSubscribe, type AnswerDeps } from './subscribe-answer.js';
import { lastSeenReused } from './resume-check.js';

export interface SubscriptionsDeps extends AnswerDeps {
  requestLimits: RequestLimits;
  logger: Logger;
  metrics: Metrics;
}

export interface Subscriptions {
  /** Serves a connected socket's subscribes and unsubscribes. */
  attach(socket: TickerSocket): void;
}

export function createSubscriptions(deps: SubscriptionsDeps): Subscriptions {
  const { requestLimits, logger, metrics } = deps;
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
  // Shared by every socket (Socket.IO calls a listener with the socket as `this`): no closures per
  // connection for an open socket to hold.
  function onSubscribe(this: TickerSocket, request: unknown, ack: unknown): void {
    if (typeof ack !== 'function') return;
    const answer = ack as (a: SubscribeAck) => void;
    // The next page of a replay is not charged: pages only move forward through a bounded log.
    // The exemption is used up as the continuation arrives (the next page sets a new one), so
    // the same continuation pipelined again is charged like any subscribe.
    const continues = this.data.pageAt !== null && (request as { since?: unknown } | null)?.since === this.data.pageAt;
    if (continues) this.data.pageAt = null;
    const refused = continues ? null : requestLimits.subscribeRefused(this);
    if (refused) return answer(refused);
    serially(this, () => subscribe(deps, this, request).then(answer, (err: unknown) => answer(errorAck(err))));
  }
  function onUnsubscribe(this: TickerSocket, request: unknown, ack: unknown): void {
    if (typeof ack !== 'function') return;
    const answer = ack as (a: UnsubscribeAck) => void;
    const refused = requestLimits.flooded(this);
    if (refused) return answer(refused);
    serially(this, () => Promise.resolve(answer(unsubscribe(this, request))));
  }
  return {
    attach(socket) {
      socket.on('subscribe', onSubscribe);
      socket.on('unsubscribe', onUnsubscribe);
    },
  };
}

async function subscribe(deps: SubscriptionsDeps, socket: TickerSocket, request: unknown): Promise<SubscribeAck> {
  const { relay, metrics } = deps;
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
  // So does a last-seen headline the log now holds another at: numbers were reused under it.
  const epoch = relay.epoch;
  const { since: asked, lastSeen } = parsed.data;
  const otherEpoch =
    asked !== undefined &&
    ((parsed.data.epoch !== undefined && parsed.data.epoch !== epoch) ||
      (lastSeen !== undefined && lastSeen.seq <= asked && (await lastSeenReused(relay, deps.log, lastSeen))));
  const since = otherEpoch ? undefined : asked;
  for (let attempt = 0; ; attempt++) {
    const entitlement = socket.data.key.entitlement;
    const closed = () => !socket.connected;
    const answer = await answerSubscribe(deps, closed, subscriptionOf(entitlement, parsed.data), since, parsed.data.limit);
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
    if (otherEpoch) ack.feedRestarted = true;
    if (sub.refusedTopics.length > 0) ack.refused = { topics: [...sub.refusedTopics] };
    return ack;
  }
}

function unsubscribe(socket: TickerSocket, request: unknown): UnsubscribeAck {
  const parsed = UnsubscribeRequestSchema.safeParse(request ?? {});
  if (!parsed.success) return errorAck(badRequest(parsed.error, 'unsubscribe'));
  const current = socket.data.sub;
  const topics = parsed.data.topics ?? [];
  const symbols = parsed.data.symbols ?? [];
  if (current === null || isEverything({ topics, symbols })) {
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
