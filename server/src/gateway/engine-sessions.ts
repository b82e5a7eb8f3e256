import type { IncomingMessage } from 'node:http';
import type { Server } from 'socket.io';
import type { AddressLimits } from '../access/address-limits.js';
import type { AddressOf } from '../access/client-address.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';

/** What a refused handshake's body says (engine.io answers `403 { code: 4, message }`). */
export const SESSIONS_REFUSED = 'too_many_connections: too many open connections from this address';

/** The part of an engine.io session used here. */
interface EngineSession {
  request: IncomingMessage;
  close(discard?: boolean): void;
  on(event: 'close', listener: () => void): void;
}

export interface SessionGateDeps {
  addressOf: AddressOf;
  addressLimits: AddressLimits;
  logger: Logger;
  metrics: Metrics;
}

/**
 * Transport sessions per address. An engine.io handshake comes before any credential (the
 * Socket.IO CONNECT carries the key), so without this one address could hold thousands of bare
 * sessions. `allowRequest` refuses a handshake from an address at its cap; the count is taken
 * when the session opens and given back when it closes, whatever closed it.
 */
export function sessionGate({ addressOf, addressLimits, logger, metrics }: SessionGateDeps) {
  let lastLogged = 0;
  let refused = 0;
  metrics.gauge('ticker_sessions_refused', 'Transport handshakes refused since start: their address was at sessionsPerAddress', [], (g) =>
    g.set(refused),
  );
  return {
    allowRequest: (req: IncomingMessage, callback: (err: string | null | undefined, success: boolean) => void): void => {
      const ip = addressOf(req);
      if (addressLimits.sessionRoom(ip)) return callback(null, true);
      refused++;
      // One line a second at most: a flood of refusals must not flood the log too.
      if (Date.now() - lastLogged > 1000) {
        lastLogged = Date.now();
        logger.warn({ ip }, 'transport sessions refused: address at its cap');
      }
      callback(SESSIONS_REFUSED, false);
    },
    attach(io: Server, connectTimeoutMs: number): void {
      // Sessions still waiting for their CONNECT to be admitted, with their deadline: admission
      // clears it, so an open connection holds no timer.
      const waiting = new Map<object, NodeJS.Timeout>();
      const settle = (session: object): void => {
        const timer = waiting.get(session);
        if (timer === undefined) return;
        clearTimeout(timer);
        waiting.delete(session);
      };
      io.on('connection', (socket) => settle(socket.conn));
      io.engine.on('connection', (session: EngineSession) => {
        const ip = addressOf(session.request);
        addressLimits.openSession(ip);
        // Socket.IO's own connectTimeout (set later than this) only starts a polite close, which
        // for a polling session nobody polls waits another 30 s: a session with no socket by
        // now is dropped at once (discarded: nothing more is sent on it).
        const timer = setTimeout(() => {
          waiting.delete(session);
          session.close(true);
        }, connectTimeoutMs);
        timer.unref();
        waiting.set(session, timer);
        // `on`: a session closes once, and `once` would allocate a wrapper it holds meanwhile.
        session.on('close', () => {
          settle(session);
          addressLimits.closeSession(ip);
        });
      });
    },
  };
}
