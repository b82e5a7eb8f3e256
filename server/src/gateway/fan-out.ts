import type { AccessRegistry } from '../access/access-registry.js';
import type { Entitlement } from '../access/entitlements.js';
import type { FeedLog } from '../log/feed-log.js';
import { withdrawalOf, type LogEvent } from '../log/log-event.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { UsageRecorder } from '../usage/usage-recorder.js';
import { sayBye } from './bye.js';
import { DelayLine } from './delay-line.js';
import { EDITOR_ENTITLEMENT } from './editor-socket.js';
import type { FeedRelay } from './feed-relay.js';
import { disposeAll, on, type Disposer } from './listen.js';
import { eventRooms } from './rooms.js';
import { openSockets, type TickerServer } from './socket-data.js';

export interface FanOutDeps {
  io: TickerServer;
  access: AccessRegistry;
  log: FeedLog;
  relay: FeedRelay;
  logger: Logger;
  metrics: Metrics;
  usage?: UsageRecorder;
}

export type Tap = (ev: LogEvent, delaySeconds: number) => void;

export interface FanOut {
  /** the delay lanes: what keys with a delay have been delivered up to */
  readonly delays: DelayLine;
  tap(listener: Tap): Disposer;
  /** Brings the delay lanes in line with the access list's groups. */
  syncDelays(): Promise<void>;
  close(): void;
}

export const delaysOf = (access: AccessRegistry): number[] => access.groups.map((g) => g.delaySeconds);

/** Editors' consoles watch everything, undelayed, even when no configured key does. */
function editorGroups(access: AccessRegistry): () => readonly Entitlement[] {
  let cache: { from: readonly Entitlement[]; groups: readonly Entitlement[] } | null = null;
  return () => {
    if (cache?.from !== access.groups) {
      const from = access.groups;
      const groups = from.some((g) => g.group === EDITOR_ENTITLEMENT.group) ? from : [...from, EDITOR_ENTITLEMENT];
      cache = { from, groups };
    }
    return cache.groups;
  };
}

// Fan-out: one broadcast per event to the union of its rooms. Socket.IO encodes the packet
// once and sends each socket one copy however many of the rooms it is in. Sockets that could
// see the previous version but not this one (its topics changed) get a withdrawal of the
// version they saw.
export function createFanOut(deps: FanOutDeps): FanOut {
  const { io, access, log, relay, logger, metrics, usage } = deps;
  const taps = new Set<Tap>();
  const fanOutGroups = editorGroups(access);
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
  const delays = new DelayLine(log, logger.child({ part: 'delay' }), (delaySeconds, ev) => broadcast(ev, delaySeconds));
  const disposers: Disposer[] = [
    on(relay, 'event', (ev: LogEvent) => {
      broadcast(ev, 0);
      delays.push(ev);
    }),
    on(relay, 'gap', ({ from, to }) => metrics.gaps.inc(to - from + 1)),
    // The feed started again (Redis lost its data): positions clients hold mean nothing now. They
    // reconnect, their `since` is ahead of the feed, and they start afresh from a snapshot.
    on(relay, 'restart', () => {
      delays.restart(delaysOf(access), relay.lastSeq).catch((err: unknown) => logger.error({ err }, 'delay lanes not restarted'));
      for (const socket of openSockets(io)) sayBye(socket, 'feed_restarted');
    }),
  ];
  return {
    delays,
    tap: (listener) => (taps.add(listener), () => void taps.delete(listener)),
    syncDelays: () => delays.sync(delaysOf(access), relay.lastSeq),
    close() {
      disposeAll(disposers);
      delays.close();
    },
  };
}
