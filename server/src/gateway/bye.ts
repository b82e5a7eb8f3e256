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
interface Leaving {
  emit(ev: 'bye', info: ByeInfo): unknown;
  disconnect(close: true): unknown;
}

/** Tells the client why it is let go and how long to wait, then closes its connection. */
export function sayBye(socket: Leaving, reason: ByeReason): void {
  socket.emit('bye', byeInfo(reason));
  socket.disconnect(true);
}
