import { TickerError, type AckError } from '@headline-ticker/sdk/protocol';
import type { AddressLimits } from '../access/address-limits.js';
import type { Limits } from '../access/limits.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { errorAck, type TickerSocket } from './socket-data.js';

export interface RequestLimitsDeps {
  limits: Limits;
  addressLimits: AddressLimits;
  logger: Logger;
  metrics: Metrics;
}

export interface RequestLimits {
  /** Counts every packet against its address, and unknown events against their socket. */
  guard(socket: TickerSocket): void;
  /** The refusal of a message over the socket's rate, or null. */
  flooded(socket: TickerSocket): AckError | null;
  /** The refusal of a subscribe over its address's or socket's rate, or null. */
  subscribeRefused(socket: TickerSocket): AckError | null;
}

const KNOWN_EVENTS = new Set(['subscribe', 'unsubscribe']);

export function createRequestLimits(deps: RequestLimitsDeps): RequestLimits {
  const { limits, addressLimits, logger, metrics } = deps;
  // Synchronous: these counters are in memory and run on every packet (window-counter.ts).
  const addressEvent = (socket: TickerSocket, event: unknown): AckError | null => {
    const wait = addressLimits.socketEvent(socket.data.ip);
    if (wait !== null) return errorAck(new TickerError('rate_limited', `too many messages from this address; retry in ${wait} s`));
    if (typeof event === 'string' && KNOWN_EVENTS.has(event)) return null;
    if (limits.socketMessage(socket.id) !== null && socket.connected) {
      logger.info({ sid: socket.id, ip: socket.data.ip }, 'socket flooding unknown events cut off');
      metrics.shed.inc({ reason: 'flood' });
      socket.disconnect(true);
    }
    return errorAck(new TickerError('bad_request', 'unknown event'));
  };
  // A flood of messages is answered, not served: the limiter runs before the work is queued.
  const flooded = (socket: TickerSocket): AckError | null => {
    const wait = limits.socketMessage(socket.id);
    return wait === null ? null : errorAck(new TickerError('rate_limited', `too many messages; retry in ${wait} s`));
  };
  return {
    guard(socket) {
      // Every packet, known event or not, counts against its address; an unknown event also
      // counts against its socket, and a socket that floods them is cut off.
      socket.use(([event, ...args], next) => {
        const refusal = addressEvent(socket, event);
        if (refusal === null) return next();
        const ack: unknown = args.at(-1);
        if (typeof ack === 'function') (ack as (r: AckError) => void)(refusal);
      });
    },
    flooded,
    subscribeRefused(socket) {
      const wait = addressLimits.subscribe(socket.data.ip);
      if (wait !== null) return errorAck(new TickerError('rate_limited', `too many subscribes from this address; retry in ${wait} s`));
      return flooded(socket);
    },
  };
}
