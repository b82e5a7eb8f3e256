import type { AccessRegistry } from '../access/access-registry.js';
import { subscriptionOf } from '../log/subscription.js';
import type { Metrics } from '../metrics.js';
import { sayBye } from './bye.js';
import { originAllowed, recordOf } from './handshake.js';
import { roomsOf } from './rooms.js';
import { openSockets, setRooms, type TickerServer } from './socket-data.js';

/**
 * What a reload of the access list does to open sockets: revoked keys (or origins no longer
 * licensed) are cut off, a lowered maxConnections is applied, changed entitlements re-applied.
 */
export function reapplyAccess(io: TickerServer, access: AccessRegistry, metrics: Metrics): void {
  const perKey = new Map<string, number>();
  for (const socket of openSockets(io)) {
    const fresh = recordOf(access, socket);
    // Revoked, or its page's origin is no longer licensed: cut off.
    if (fresh === undefined || !originAllowed(fresh, socket)) {
      metrics.shed.inc({ reason: 'revoked' });
      sayBye(socket, 'revoked');
      continue;
    }
    // A lowered maxConnections applies to open sockets too (the oldest are kept; per gateway).
    const open = (perKey.get(fresh.digest) ?? 0) + 1;
    perKey.set(fresh.digest, open);
    if (fresh.maxConnections !== null && open > fresh.maxConnections) {
      metrics.shed.inc({ reason: 'too_many_connections' });
      sayBye(socket, 'too_many_connections');
      continue;
    }
    const changed = fresh.entitlement.group !== socket.data.key.entitlement.group;
    socket.data.key = fresh;
    if (changed && socket.data.filter !== null) {
      const sub = subscriptionOf(fresh.entitlement, socket.data.filter);
      setRooms(socket, roomsOf(sub));
      socket.data.sub = sub;
    }
  }
}
