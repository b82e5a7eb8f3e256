// A small stand-in for the ticker that speaks the paging protocol (a real Socket.IO server and
// a plain HTTP history route over an in-memory log), for unit-level tests of the client: how
// it follows `more`, resumes half-way, snapshots after a long gap, and reconnects after `bye`.
// The real server's paging is tested against the real server (test/hostile/).
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import {
  REPLAY_PAGE_MAX_EVENTS,
  type ByeReason,
  type ClientToServerEvents,
  type Headline,
  type HistoryResponse,
  type ServerToClientEvents,
  type SubscribeAck,
  type SubscribeRequest,
} from '@headline-ticker/sdk/protocol';

type FakeSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

export interface PagingServerOptions {
  /** events per page (default: the protocol's REPLAY_PAGE_MAX_EVENTS) */
  pageSize?: number;
  /** called with every subscribe before it is answered; may disconnect the socket, publish, … */
  onSubscribe?: (socket: FakeSocket, request: SubscribeRequest, n: number) => void | Promise<void>;
  /** scripts served as they are, by path (e.g. `{ '/widget.js': WIDGET_BUNDLE }`) */
  scripts?: Record<string, string>;
}

export interface PagingServer {
  readonly url: string;
  readonly io: Server<ClientToServerEvents, ServerToClientEvents>;
  /** every subscribe request, in arrival order, with the socket id it came on */
  readonly subscribes: { socket: string; request: SubscribeRequest }[];
  /** every history query string, in arrival order */
  readonly historyQueries: string[];
  /** when each socket connected (ms since the epoch), in order */
  readonly connections: { socket: string; at: number; key: unknown }[];
  /** the current seq */
  readonly seq: number;
  /** appends `n` events and sends them to every live socket */
  publish(n: number): Headline[];
  /** says goodbye to every connected socket with `reason`, then disconnects them */
  bye(reason: ByeReason): void;
  close(): Promise<void>;
}

export function headlineAt(seq: number): Headline {
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString();
  return {
    id: `h${seq}`,
    seq,
    version: 1,
    status: 'published',
    text: `headline ${seq}`,
    topics: ['energy'],
    symbols: [],
    urgency: 'routine',
    lang: 'en',
    source: 'desk',
    publishedAt: at,
    updatedAt: at,
  };
}

export async function startPagingServer(initialEvents: number, options: PagingServerOptions = {}): Promise<PagingServer> {
  const pageSize = options.pageSize ?? REPLAY_PAGE_MAX_EVENTS;
  const log: Headline[] = [];
  const live = new Set<FakeSocket>();
  const subscribes: PagingServer['subscribes'] = [];
  const historyQueries: string[] = [];
  const connections: PagingServer['connections'] = [];
  for (let i = 1; i <= initialEvents; i++) log.push(headlineAt(i));
  const seq = () => log.length;

  /** One answer: a snapshot, or the page after `since` (more: true when the log goes on). */
  const answer = (since: number | undefined, limit: number | undefined): HistoryResponse => {
    if (since === undefined) return { headlines: log.slice(Math.max(0, log.length - (limit ?? 20))), seq: seq() };
    const page = log.slice(since, since + pageSize);
    const end = since + page.length;
    return end < seq() ? { headlines: page, seq: end, more: true } : { headlines: page, seq: seq() };
  };

  const history = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const script = options.scripts?.[url.pathname];
    if (script !== undefined) return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(script));
    if (url.pathname !== '/api/headlines') return void res.writeHead(404).end();
    historyQueries.push(url.search);
    const since = url.searchParams.has('since') ? Number(url.searchParams.get('since')) : undefined;
    const limit = url.searchParams.has('limit') ? Number(url.searchParams.get('limit')) : undefined;
    const body = answer(since, since === undefined ? limit : undefined);
    if (since !== undefined && limit !== undefined && body.headlines.length > limit) {
      body.headlines = body.headlines.slice(0, limit);
      body.seq = body.headlines.at(-1)!.seq;
      body.more = true;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  const http = createServer(history);
  // Widgets connect cross-origin, as to the real server.
  const io = new Server<ClientToServerEvents, ServerToClientEvents>(http, { cors: { origin: true, credentials: false } });
  io.on('connection', (socket) => {
    connections.push({ socket: socket.id, at: Date.now(), key: (socket.handshake.auth as { key?: unknown }).key });
    socket.on('disconnect', () => live.delete(socket));
    socket.on('subscribe', async (request, ack: (a: SubscribeAck) => void) => {
      subscribes.push({ socket: socket.id, request });
      await options.onSubscribe?.(socket, request, subscribes.length);
      if (!socket.connected) return;
      const body = answer(request.since, request.limit);
      if (body.more === true) live.delete(socket);
      else live.add(socket);
      ack({ ok: true, ...body });
    });
  });

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    io,
    subscribes,
    historyQueries,
    connections,
    get seq() {
      return seq();
    },
    publish(n) {
      const added: Headline[] = [];
      for (let i = 0; i < n; i++) {
        const h = headlineAt(log.length + 1);
        log.push(h);
        added.push(h);
        for (const s of live) s.emit('headline', h);
      }
      return added;
    },
    bye(reason) {
      live.clear();
      for (const s of io.sockets.sockets.values()) {
        s.emit('bye', { reason });
        s.disconnect(true);
      }
    },
    close: async () => {
      await io.close();
      http.closeAllConnections();
    },
  };
}
