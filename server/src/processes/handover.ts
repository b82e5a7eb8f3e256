// What the primary and its children say to each other about connections, and how a Socket.IO
// session names the process that holds it. The session id carries the child's slot, so the
// primary routes a session's next request by reading it: no table that a report over IPC has to
// fill first (a polling client's second request can arrive before such a report does).
import { randomBytes } from 'node:crypto';

/** Primary → child: a connection, with the bytes the primary read from it to route it. */
export const HANDOVER = 'ticker:connection';
/** Child → primary: how many sessions the child holds now (for least-sessions balancing). */
export const SESSIONS = 'ticker:sessions';

export interface HandoverMessage {
  type: typeof HANDOVER;
  head: Uint8Array;
}

export interface SessionsMessage {
  type: typeof SESSIONS;
  open: number;
}

export function isHandover(message: unknown): message is HandoverMessage {
  const m = message as Partial<HandoverMessage> | null;
  return m?.type === HANDOVER && m.head instanceof Uint8Array;
}

export function isSessions(message: unknown): message is SessionsMessage {
  const m = message as Partial<SessionsMessage> | null;
  return m?.type === SESSIONS && Number.isInteger(m.open);
}

/** An engine.io session id made by the child in `slot`: `<slot>.` then engine.io's own id. */
export function sessionId(slot: number, id: string = randomBytes(15).toString('base64url')): string {
  return `${slot}.${id}`;
}

const SID_SLOT = /[?&]sid=(\d{1,4})\./u;

/**
 * The slot named by the session id in a request line (`GET /socket.io/?…&sid=1.abc HTTP/1.1`), or
 * null for a request without one. Any client can send any id: the caller checks the slot exists.
 */
export function slotOfRequestLine(line: string): number | null {
  const m = SID_SLOT.exec(line);
  return m ? Number(m[1]) : null;
}
