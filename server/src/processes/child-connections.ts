// A child's side of the handover (see balancer.ts): it serves the sockets the primary hands it,
// names its Socket.IO sessions after its slot so their requests come back to it, and tells the
// primary how many sessions it holds.
import type { Server as HttpServer } from 'node:http';
import { Socket } from 'node:net';
import type { Server as IoServer } from 'socket.io';
import { isHandover, SESSIONS, sessionId, type SessionsMessage } from './handover.js';

const REPORT_EVERY_MS = 100;

export function acceptHandedConnections(httpServer: HttpServer, io: IoServer | null, slot: number): void {
  // A kept-alive connection could carry the next request of another session, for another child.
  httpServer.prependListener('request', (_req, res) => res.setHeader('Connection', 'close'));
  process.on('message', (message: unknown, handle: unknown) => {
    if (!isHandover(message)) return;
    // Closed by the client while on its way: nothing to serve.
    if (!(handle instanceof Socket)) return;
    const socket = handle;
    httpServer.emit('connection', socket);
    // What the primary read to route it comes first, before anything still in the kernel.
    socket.unshift(Buffer.from(message.head));
  });
  if (io === null) return;
  // engine.io's own ids (random bytes drawn from a pool) with the slot in front.
  const engineId = io.engine.generateId.bind(io.engine);
  io.engine.generateId = (req) => sessionId(slot, engineId(req) as string);
  let open = 0;
  let reported = -1;
  let pending: NodeJS.Timeout | null = null;
  // At most one report per REPORT_EVERY_MS: a storm of thousands of connects is one message, not
  // thousands (each IPC message is serialised, written and parsed); the primary counts the
  // handshakes it hands over in between.
  const report = () => {
    pending = null;
    if (open === reported) return;
    reported = open;
    const m: SessionsMessage = { type: SESSIONS, open };
    // The channel is gone only when the primary is: nothing to tell then.
    process.send?.(m, undefined, undefined, () => undefined);
  };
  const changed = () => {
    pending ??= setTimeout(report, REPORT_EVERY_MS).unref();
  };
  io.engine.on('connection', (conn: { once(event: 'close', fn: () => void): void }) => {
    open++;
    changed();
    conn.once('close', () => {
      open--;
      changed();
    });
  });
}
