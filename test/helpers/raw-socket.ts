import { createConnection, type NetConnectOpts, type Socket as TcpSocket } from 'node:net';
import { WebSocket } from 'ws';

/**
 * A Socket.IO client at the wire level (Engine.IO v4 over WebSocket), with its TCP socket in
 * hand: a test can pause it to play a reader that stops reading.
 */
export interface RawSocket {
  readonly ws: WebSocket;
  readonly tcp: TcpSocket;
  /** every Socket.IO packet received, as text (`42[…]`, `41`, …); pings are answered, not kept */
  readonly packets: string[];
  /** the first packet (already received or still to come) that satisfies `match` */
  next(match: (packet: string) => boolean, timeoutMs?: number): Promise<string>;
  send(packet: string): void;
  /** resolves when the WebSocket has closed */
  readonly closed: Promise<void>;
}

export async function rawConnect(httpUrl: string, auth: Record<string, unknown>): Promise<RawSocket> {
  const url = `${httpUrl.replace(/^http/u, 'ws')}/socket.io/?EIO=4&transport=websocket`;
  let tcp: TcpSocket | undefined;
  const ws = new WebSocket(url, {
    perMessageDeflate: false,
    createConnection: (options: object) => (tcp = createConnection(options as NetConnectOpts)),
  });
  const packets: string[] = [];
  const waiters: { match: (p: string) => boolean; resolve: (p: string) => void }[] = [];
  ws.on('message', (data: Buffer) => {
    const text = data.toString();
    if (text === '2') return ws.send('3');
    if (text.startsWith('0')) return ws.send(`40${JSON.stringify(auth)}`);
    packets.push(text);
    for (const w of [...waiters]) {
      if (w.match(text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(text);
      }
    }
  });
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  const socket: RawSocket = {
    ws,
    get tcp() {
      if (tcp === undefined) throw new Error('no TCP socket yet');
      return tcp;
    },
    packets,
    send: (packet) => ws.send(packet),
    closed,
    next: (match, timeoutMs = 10_000) => {
      const seen = packets.find(match);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = { match, resolve: (p: string) => (clearTimeout(timer), resolve(p)) };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for a packet`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
  };
  const connected = await socket.next((p) => p.startsWith('40') || p.startsWith('44'));
  if (connected.startsWith('44')) throw new Error(`connection refused: ${connected.slice(2)}`);
  return socket;
}
