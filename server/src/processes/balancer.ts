// The primary's listener: reads each connection's request line, picks a child, and hands the
// socket itself to it. A request naming a session goes to the child in the session id's slot (a
// long-polling session stays on its process); any other request to the child with the fewest
// sessions. The primary stops reading before the handover, so every byte after the request line
// stays in the kernel for the child: nothing is read twice, relayed, or dropped in between.
import type { Worker } from 'node:cluster';
import { createServer, type Server, type Socket } from 'node:net';
import { HANDOVER, slotOfRequestLine, type HandoverMessage } from './handover.js';

/** A request line longer than this is refused (Node's HTTP parser refuses far less anyway). */
const MAX_REQUEST_LINE_BYTES = 8 * 1024;
/** A connection that has not sent its request line by then is closed (a slow-loris costs nothing). */
export const REQUEST_LINE_TIMEOUT_MS = 10_000;

export interface Balancer {
  readonly server: Server;
  /** The child in `slot` is serving: connections may go to it. */
  ready(slot: number, worker: Worker): void;
  /** The child in `slot` has gone; its sessions went with it. */
  gone(slot: number): void;
  /** The child in `slot` holds `open` sessions now. */
  sessions(slot: number, open: number): void;
}

interface Child {
  worker: Worker;
  /** sessions it reported */
  open: number;
  /** handshakes handed to it since that report (a storm outruns the reports) */
  handed: number;
}

const SERVICE_UNAVAILABLE = 'HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';
const URI_TOO_LONG = 'HTTP/1.1 414 URI Too Long\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';

/** Stops the socket's handle reading. Pausing the stream is not enough: net keeps reading into its buffer. */
function stopReading(socket: Socket): void {
  socket.pause();
  (socket as unknown as { _handle: { readStop(): number } | null })._handle?.readStop();
}

/** Answers and lets go: the socket may no longer be read, so its end is not waited for. */
function refuse(socket: Socket, response: string): void {
  socket.end(response, () => socket.destroy());
}

/**
 * Reads the socket up to the end of its request line, then stops reading and passes on what was
 * read. A line too long is refused; a socket silent for `timeoutMs` is closed.
 */
function awaitRequestLine(socket: Socket, timeoutMs: number, route: (head: Buffer, requestLine: string) => void): void {
  const chunks: Buffer[] = [];
  let read = 0;
  socket.on('error', () => socket.destroy());
  socket.setTimeout(timeoutMs, () => socket.destroy());
  const onData = (chunk: Buffer) => {
    chunks.push(chunk);
    read += chunk.length;
    // Only the new chunk is searched: a client dribbling a byte at a time costs no re-scans.
    if (!chunk.includes(0x0a) && read <= MAX_REQUEST_LINE_BYTES) return;
    const head = chunks.length === 1 ? chunk : Buffer.concat(chunks);
    const eol = head.indexOf(0x0a);
    socket.off('data', onData);
    socket.setTimeout(0);
    if (eol === -1 || eol > MAX_REQUEST_LINE_BYTES) {
      refuse(socket, URI_TOO_LONG);
      return;
    }
    stopReading(socket);
    route(head, head.subarray(0, eol).toString('latin1'));
  };
  socket.on('data', onData);
}

export interface BalancerOptions {
  /** default REQUEST_LINE_TIMEOUT_MS */
  requestLineTimeoutMs?: number;
}

export function createBalancer(options: BalancerOptions = {}): Balancer {
  const requestLineTimeoutMs = options.requestLineTimeoutMs ?? REQUEST_LINE_TIMEOUT_MS;
  const children = new Map<number, Child>();
  let turn = 0;

  /** The child with the fewest sessions (and handshakes on their way), taking turns among equals. */
  const leastBusy = (): [number, Child] | undefined => {
    const all = [...children.entries()];
    if (all.length === 0) return undefined;
    turn = (turn + 1) % all.length;
    let best = all[turn]!;
    for (const entry of all) {
      const load = entry[1].open + entry[1].handed;
      if (load < best[1].open + best[1].handed) best = entry;
    }
    return best;
  };

  const route = (socket: Socket, head: Buffer, requestLine: string): void => {
    const slot = slotOfRequestLine(requestLine);
    let target = slot === null ? undefined : children.get(slot);
    if (target === undefined) {
      // A new client, or a session whose process has gone (its child then answers "unknown
      // session" and the client starts a new one).
      const picked = leastBusy();
      if (picked === undefined) {
        refuse(socket, SERVICE_UNAVAILABLE);
        return;
      }
      target = picked[1];
      if (slot === null && requestLine.includes(' /socket.io/')) target.handed++;
    }
    const message: HandoverMessage = { type: HANDOVER, head };
    target.worker.send(message, socket, { keepOpen: false }, (err) => {
      if (err) socket.destroy();
    });
  };

  const server = createServer((socket) => awaitRequestLine(socket, requestLineTimeoutMs, (head, line) => route(socket, head, line)));

  return {
    server,
    ready: (slot, worker) => children.set(slot, { worker, open: 0, handed: 0 }),
    gone: (slot) => children.delete(slot),
    sessions: (slot, open) => {
      const child = children.get(slot);
      if (child === undefined) return;
      child.open = open;
      child.handed = 0;
    },
  };
}
