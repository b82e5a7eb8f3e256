import { CONNECT_ERROR, type OverloadedInfo } from '@headline-ticker/sdk/protocol';
import type { ExtendedError } from 'socket.io';
import type { AccessRegistry, KeyRecord } from '../access/access-registry.js';
import { acquireSlot, type Refused } from '../access/admission.js';
import type { AddressOf } from '../access/client-address.js';
import type { AddressLimits } from '../access/address-limits.js';
import type { ConnectionCounter } from '../access/connection-counter.js';
import type { Limits } from '../access/limits.js';
import type { Logger } from '../logger.js';
import type { UsageRecorder } from '../usage/usage-recorder.js';
import { editorKeyRecord } from './editor-socket.js';
import { protocolVersionAccepted } from './protocol-version.js';
import type { TickerSocket } from './socket-data.js';

export interface HandshakeDeps {
  access: AccessRegistry;
  limits: Limits;
  connections: ConnectionCounter;
  addressOf: AddressOf;
  addressLimits: AddressLimits;
  logger: Logger;
  usage?: UsageRecorder;
  /** ms a new connection should wait because this gateway is behind (see overload.ts), or null to admit */
  overloaded?: () => number | null;
}

/** `auth: { key }` (API and widget keys) or `auth: { token }` (an editor's console). */
export function recordOf(access: AccessRegistry, socket: TickerSocket): KeyRecord | undefined {
  const auth = socket.handshake.auth as { key?: unknown; token?: unknown };
  if (typeof auth.key === 'string') return access.key(auth.key);
  return typeof auth.token === 'string' ? editorKeyRecord(access, auth.token) : undefined;
}

/** A widget key is bound to the origins of the pages it is licensed for; other keys to none. */
export function originAllowed(key: KeyRecord, socket: TickerSocket): boolean {
  if (key.origins === null) return true;
  const origin = socket.handshake.headers.origin;
  return origin !== undefined && key.origins.has(origin);
}

/** Whether the socket's underlying connection has already closed. */
const gone = (socket: TickerSocket): boolean => socket.conn.readyState === 'closed' || socket.conn.readyState === 'closing';

/**
 * Runs `release` once when the connection closes, however early: a client that leaves during
 * the handshake never gets a 'disconnect', and whatever it held (a slot) would be held for good.
 */
function onGone(socket: TickerSocket, release: () => void): void {
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    release();
  };
  if (gone(socket)) return once();
  // `on`, not `once`: each fires at most once anyway, and `once` allocates a wrapper and its
  // state for every registration, which an open connection would hold for its whole life.
  socket.conn.on('close', once);
  socket.on('disconnect', once);
}

type Next = (err?: ExtendedError) => void;

/** The connect error for each way admission can fail ('gone': nobody is left to read it). */
const REFUSALS: Record<Refused['reason'], string> = {
  revoked: CONNECT_ERROR.unauthorized,
  too_many_connections: CONNECT_ERROR.too_many_connections,
  gone: 'gone',
};

function overloadedError(retryAfterMs: number): ExtendedError {
  const err: ExtendedError = new Error(CONNECT_ERROR.overloaded);
  err.data = { retryAfterMs } satisfies OverloadedInfo;
  return err;
}

/** The `io.use` middleware: protocol version, credentials, origin, connection slots. */
export function handshake(deps: HandshakeDeps): (socket: TickerSocket, next: Next) => void {
  const { access, limits, connections, logger, usage } = deps;
  /** The refusal for unknown credentials; only these meet the lockout, a valid key is never refused for others' failures. */
  const unknownCredentials = async (socket: TickerSocket): Promise<Error> => {
    const ip = deps.addressOf(socket.request);
    usage?.unknownKey(ip);
    if ((await limits.authBlocked(ip)) !== null) return new Error(CONNECT_ERROR.rate_limited);
    await limits.authFailed(ip);
    return new Error(CONNECT_ERROR.unauthorized);
  };
  /**
   * Takes the address's and the key's connection slots, given back when the connection closes.
   * Answers with the key record in force once they are held (a reload may land while the key's
   * slot is counted in Redis), or the refusal.
   */
  const takeSlots = async (socket: TickerSocket, ip: string, checked: KeyRecord): Promise<KeyRecord | Error> => {
    if (!deps.addressLimits.openSocket(ip)) return new Error(CONNECT_ERROR.too_many_connections);
    const current = () => {
      const fresh = recordOf(access, socket);
      return fresh !== undefined && originAllowed(fresh, socket) ? fresh : undefined;
    };
    const admission = await acquireSlot({ connections, current, gone: () => gone(socket), checked });
    if (!admission.ok) {
      deps.addressLimits.closeSocket(ip);
      if (admission.reason === 'revoked') logger.info({ socket: socket.id }, 'key revoked during its handshake: refused');
      return new Error(REFUSALS[admission.reason]);
    }
    // One watch on the connection gives back both slots (the key's only when it has a cap).
    const release = admission.release;
    onGone(socket, () => {
      release?.();
      deps.addressLimits.closeSocket(ip);
    });
    return admission.key;
  };
  const admit = async (socket: TickerSocket, next: Next): Promise<void> => {
    // Behind already: a new client would stall everyone, including itself. Refused, cheaply.
    const wait = deps.overloaded?.() ?? null;
    if (wait !== null) return next(overloadedError(wait));
    if (!protocolVersionAccepted((socket.handshake.auth as { v?: unknown }).v)) return next(new Error(CONNECT_ERROR.unsupported_version));
    const key = recordOf(access, socket);
    if (key === undefined) return next(await unknownCredentials(socket));
    if (!originAllowed(key, socket)) {
      // Not a guess (the key is right): refused, but not counted against the address.
      logger.info({ keyRef: key.ref, origin: socket.handshake.headers.origin }, 'widget key used from an origin it is not bound to');
      usage?.refused(key, socket.handshake.headers.origin, socket.handshake.headers.referer);
      return next(new Error(CONNECT_ERROR.unauthorized));
    }
    const ip = deps.addressOf(socket.request);
    const admitted = await takeSlots(socket, ip, key);
    if (admitted instanceof Error) return next(admitted);
    // The client left during the handshake (its slots are already back): nothing to admit.
    if (gone(socket)) return next(new Error('gone'));
    // One literal, every field at once: its properties live in the object itself.
    socket.data = { ip, key: admitted, sub: null, filter: null, rooms: [], chain: Promise.resolve(), pageAt: null };
    next();
  };
  // Every path above answers by itself (Redis failures admit or refuse); should one throw, the
  // client is told to come back shortly instead of hanging, and the process does not crash.
  return (socket, next) => {
    admit(socket, next).catch((err: unknown) => {
      logger.error({ err, socket: socket.id }, 'handshake failed');
      next(overloadedError(1000));
    });
  };
}

/** Licence usage of an admitted socket: counted open from now until it disconnects. */
export function countConnection(socket: TickerSocket, usage: UsageRecorder | undefined): void {
  if (!usage) return;
  usage.connected(socket.id, socket.data.key, socket.handshake.headers.origin);
  socket.on('disconnect', () => usage.disconnected(socket.id));
}
