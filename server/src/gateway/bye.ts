import type { ByeInfo, ByeReason } from '@headline-ticker/sdk/protocol';

/**
 * How long a client should wait before reconnecting after each `bye`, as [min, max] ms. The
 * server picks a random point in the range per socket, so a gateway that sheds or restarts
 * thousands of sockets at once is not met by thousands of reconnects in the same instant.
 */
export const BYE_RETRY_MS: Record<ByeReason, readonly [number, number]> = {
  slow_consumer: [1000, 5000],
  shutdown: [500, 5000],
  feed_restarted: [500, 5000],
  // likely to be refused again: no hurry
  revoked: [10_000, 60_000],
  too_many_connections: [10_000, 60_000],
};

export function byeInfo(reason: ByeReason, random: () => number = Math.random): ByeInfo {
  const [min, max] = BYE_RETRY_MS[reason];
  return { reason, retryAfterMs: Math.round(min + random() * (max - min)) };
}

/** What `sayBye` needs of a socket (any Socket.IO server socket of ours). */
export interface Leaving {
  emit(ev: 'bye', info: ByeInfo): unknown;
  disconnect(close: true): unknown;
}

/** Tells the client why it is let go and how long to wait, then closes its connection. */
export function sayBye(socket: Leaving, reason: ByeReason): void {
  socket.emit('bye', byeInfo(reason));
  socket.disconnect(true);
}

/** The default window a shutting-down gateway spreads its goodbyes over (inside the 3-s shutdown step). */
export const DEFAULT_SHUTDOWN_SPREAD_MS = 2000;

/**
 * Says goodbye to `sockets` evenly over `spreadMs` instead of all at once, so their reconnects
 * (each also jittered by its `retryAfterMs`) reach the other gateways as a stream, not a wall.
 * Resolves once every socket has been told.
 */
export function spreadByes(sockets: readonly Leaving[], reason: ByeReason, spreadMs: number): Promise<void> {
  if (sockets.length === 0) return Promise.resolve();
  if (spreadMs <= 0) {
    for (const s of sockets) sayBye(s, reason);
    return Promise.resolve();
  }
  // In batches on a 50-ms tick: a timer per socket would cost more than the goodbyes.
  const ticks = Math.max(1, Math.floor(spreadMs / 50));
  const perTick = Math.ceil(sockets.length / ticks);
  let next = 0;
  return new Promise((resolve) => {
    const tick = () => {
      for (const end = Math.min(sockets.length, next + perTick); next < end; next++) sayBye(sockets[next]!, reason);
      if (next >= sockets.length) resolve();
      else setTimeout(tick, 50);
    };
    tick();
  });
}
