import type { Server, Socket } from 'socket.io';
import { TickerError, type AckError, type ClientToServerEvents, type ServerToClientEvents } from '@headline-ticker/sdk/protocol';
import type { KeyRecord } from '../access/access-registry.js';
import type { Subscription } from '../log/subscription.js';

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
export type TickerSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/** The ack of a refused or failed request; anything not a TickerError is the store being unreachable. */
export function errorAck(err: unknown): AckError {
  const e = err instanceof TickerError ? err : new TickerError('unavailable', 'the feed store is unreachable; try again');
  return { ok: false, error: e.toJSON() };
}

/** Moves the socket to exactly these rooms. */
export function setRooms(socket: TickerSocket, rooms: string[]): void {
  for (const r of socket.data.rooms) void socket.leave(r);
  for (const r of rooms) void socket.join(r);
  socket.data.rooms = rooms;
}

/** Every socket open at this gateway. */
export const openSockets = (io: TickerServer): IterableIterator<TickerSocket> => io.of('/').sockets.values();
