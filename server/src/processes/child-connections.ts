// A child's side of the handover (see balancer.ts): it serves the sockets the primary hands it,
// names its Socket.IO sessions after its slot so their requests come back to it, and tells the
// primary how many sessions it holds.
import type { Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import type { Server as IoServer } from 'socket.io';
import { isHandover, SESSIONS, sessionId, type SessionsMessage } from './handover.js';

export function acceptHandedConnections(httpServer: HttpServer, io: IoServer | null, slot: number): void {
  // A kept-alive connection could carry the next request of another session, for another child.
  httpServer.prependListener('request', (_req, res) => res.setHeader('Connection', 'close'));
  process.on('message', (message: unknown, handle: unknown) => {
    if (!isHandover(message)) return;
    // Closed by the client while on its way: nothing to serve.
    if (handle === undefined || handle === null) return;
    const socket = handle as Socket;
    httpServer.emit('connection', socket);
    // What the primary read to route it comes first, before anything still in the kernel.
    socket.unshift(Buffer.from(message.head));
  });
  if (io === null) return;
  io.engine.generateId = () => sessionId(slot);
  let open = 0;
  const report = () => {
    const m: SessionsMessage = { type: SESSIONS, open };
    // The channel is gone only when the primary is: nothing to tell then.
    process.send?.(m, undefined, undefined, () => undefined);
  };
  io.engine.on('connection', (conn: { once(event: 'close', fn: () => void): void }) => {
    open++;
    report();
    conn.once('close', () => {
      open--;
      report();
    });
  });
}
