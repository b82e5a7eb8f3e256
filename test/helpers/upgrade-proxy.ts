// A local HTTP proxy in front of a ticker, as corporate proxies behave towards WebSocket:
// plain HTTP requests (Socket.IO's long-polling, REST, /widget.js) are forwarded; an Upgrade
// request is passed through, refused with an HTTP error, or accepted on TCP and never answered.
import { createServer, request as httpRequest, Agent } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connect as tcpConnect } from 'node:net';

/** What the proxy does with a WebSocket Upgrade. */
export type UpgradeMode = { kind: 'pass' } | { kind: 'reject'; status: 400 | 403 } | { kind: 'stall' };

export interface UpgradeProxy {
  /** the proxy's base URL; use it as the ticker's `url` / the widget's `server` */
  readonly url: string;
  /** Upgrade requests seen so far */
  readonly upgrades: number;
  /** plain HTTP requests forwarded so far */
  readonly requests: number;
  /** the path and query of every plain HTTP request, in order */
  readonly paths: readonly string[];
  close(): Promise<void>;
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 403: 'Forbidden' };

export async function startUpgradeProxy(target: string, mode: UpgradeMode): Promise<UpgradeProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const sockets = new Set<Socket>();
  let upgrades = 0;
  let requests = 0;
  const paths: string[] = [];

  const server = createServer((req, res) => {
    requests++;
    paths.push(req.url ?? '');
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    req.pipe(forward);
  });

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  server.on('upgrade', (req, socket: Socket, head: Buffer) => {
    upgrades++;
    socket.on('error', () => socket.destroy());
    if (mode.kind === 'reject') {
      socket.end(`HTTP/1.1 ${mode.status} ${REASONS[mode.status]}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      return;
    }
    if (mode.kind === 'stall') return; // the TCP connection stays open; no answer ever comes
    const out = tcpConnect(Number(upstream.port), upstream.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      out.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) out.write(head);
      out.pipe(socket);
      socket.pipe(out);
    });
    sockets.add(out);
    out.once('close', () => (sockets.delete(out), socket.destroy()));
    out.on('error', () => socket.destroy());
    socket.once('close', () => out.destroy());
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    get upgrades() {
      return upgrades;
    },
    get requests() {
      return requests;
    },
    paths,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        agent.destroy();
      }),
  };
}
