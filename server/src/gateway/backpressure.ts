import type { Server, Socket } from 'socket.io';
import type { Logger } from '../logger.js';
import { sayBye } from './bye.js';

export interface BackpressureOptions {
  logger: Logger;
  /** a socket that owes more than this is shed (default 1 MiB) */
  maxSocketBytes?: number;
  /** what all sockets together may owe; above it the furthest behind are shed (default 64 MiB) */
  maxTotalBytes?: number;
  /** event-loop lag above which the per-socket limit is quartered (default 200 ms) */
  maxLagMs?: number;
  /** how often sockets are looked at (default 250 ms) */
  checkIntervalMs?: number;
  /** how long a shed socket has to read its `bye` before its connection is cut (default 2,000 ms) */
  graceMs?: number;
  /** told of each shed socket (metrics) */
  onShed?: () => void;
}

export interface BackpressureStats {
  /** sockets shed as slow consumers since start */
  shed: number;
  /** bytes all connected sockets owed at the last check */
  owedBytes: number;
  /** the most one socket owed at the last check */
  maxOwedBytes: number;
  /** how late the last check ran: a measure of event-loop lag */
  lagMs: number;
}

export interface Backpressure {
  stats(): BackpressureStats;
  close(): void;
}

// The parts of Engine.IO's connection we read. Not in its public types, hence checked shapes.
interface EngineConnection {
  readyState?: unknown;
  writeBuffer?: { data?: unknown }[];
  transport?: { socket?: { bufferedAmount?: unknown; terminate?: unknown } };
}

/**
 * Bytes queued for a socket and not yet taken by the kernel: packets Engine.IO holds while the
 * transport is busy, plus what the WebSocket has buffered. Broadcast packets share one encoded
 * buffer, so the sum over sockets over-counts memory: a bound on it is a bound on memory.
 */
export function owedBytes(socket: Socket): number {
  const conn = socket.conn as unknown as EngineConnection;
  if (conn.readyState === 'closed') return 0; // whatever is left is garbage now
  let bytes = 0;
  for (const packet of conn.writeBuffer ?? []) {
    const data = packet.data;
    if (typeof data === 'string') bytes += data.length;
    else if (Buffer.isBuffer(data)) bytes += data.byteLength;
  }
  const buffered = conn.transport?.socket?.bufferedAmount;
  if (typeof buffered === 'number') bytes += buffered;
  return bytes;
}

/** Sheds the sockets that owe most until all together owe at most `maxTotal`; returns what is still owed. */
function shedLargest(
  behind: { socket: Socket; owed: number }[],
  total: number,
  maxTotal: number,
  shed: (socket: Socket, owed: number) => void,
): number {
  if (total <= maxTotal) return total;
  behind.sort((a, b) => b.owed - a.owed);
  for (const { socket, owed } of behind) {
    if (total <= maxTotal) break;
    shed(socket, owed);
    total -= owed;
  }
  return total;
}

/**
 * Keeps a slow reader from piling the broadcast backlog up inside the process. Replays need
 * no allowance of their own: a replay page is at most REPLAY_PAGE_MAX_BYTES (256 KiB, a quarter
 * of the default per-socket limit) and the next one is sent only when the client asks for it,
 * so a slow link owes one page at a time and catches up at its own pace. A socket that
 * falls too far behind is sent `bye { reason: 'slow_consumer' }` and disconnected; the SDK
 * resumes with `since`, so it loses nothing. Memory owed to sockets stays under `maxTotalBytes`
 * (plus one check interval of growth, and shed sockets' backlogs until their grace ends).
 */
export function watchBackpressure(io: Server, options: BackpressureOptions): Backpressure {
  const maxSocket = options.maxSocketBytes ?? 1024 * 1024;
  const maxTotal = options.maxTotalBytes ?? 64 * 1024 * 1024;
  const maxLag = options.maxLagMs ?? 200;
  const interval = options.checkIntervalMs ?? 250;
  const grace = options.graceMs ?? 2000;
  const { logger } = options;
  const stats: BackpressureStats = { shed: 0, owedBytes: 0, maxOwedBytes: 0, lagMs: 0 };
  const cuts = new Set<NodeJS.Timeout>();

  const shed = (socket: Socket, owed: number) => {
    stats.shed++;
    options.onShed?.();
    const conn = socket.conn as unknown as EngineConnection;
    logger.warn({ sid: socket.id, owedBytes: owed, lagMs: stats.lagMs }, 'slow consumer shed');
    // Out of every room now, so nothing more is queued for it; the queue drains or is cut.
    sayBye(socket, 'slow_consumer');
    const cut = setTimeout(() => {
      cuts.delete(cut);
      const ws = conn.transport?.socket;
      if (ws && typeof ws.terminate === 'function') (ws.terminate as () => void).call(ws);
    }, grace);
    cut.unref();
    cuts.add(cut);
  };

  let expected = Date.now() + interval;
  const check = () => {
    const now = Date.now();
    stats.lagMs = Math.max(0, now - expected);
    expected = now + interval;
    const limit = stats.lagMs > maxLag ? maxSocket / 4 : maxSocket;
    let total = 0;
    let most = 0;
    const behind: { socket: Socket; owed: number }[] = [];
    for (const socket of io.of('/').sockets.values()) {
      const owed = owedBytes(socket);
      if (owed === 0) continue;
      if (owed > limit) {
        shed(socket, owed);
        continue;
      }
      total += owed;
      if (owed > most) most = owed;
      behind.push({ socket, owed });
    }
    stats.owedBytes = shedLargest(behind, total, maxTotal, shed);
    stats.maxOwedBytes = most;
  };
  const timer = setInterval(check, interval);
  timer.unref();

  return {
    stats: () => ({ ...stats }),
    close: () => {
      clearInterval(timer);
      for (const cut of cuts) clearTimeout(cut);
      cuts.clear();
    },
  };
}
