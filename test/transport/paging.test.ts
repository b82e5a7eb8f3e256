// The client side of paged replays and history, against a small Socket.IO server that speaks
// the paging protocol (test/helpers/paging-server.ts): the SDK follows `more` to the end, in
// order and once each; a lost connection resumes from the last page; a display client takes a
// fresh snapshot after a long gap; history() follows pages when asked for more than one.
import { afterEach, describe, expect, it } from 'vitest';
import { REPLAY_PAGE_MAX_EVENTS } from '@headline-ticker/sdk/protocol';
import { TickerClient, type TickerClientOptions } from '@headline-ticker/sdk';
import { headlineAt, startPagingServer, type PagingServer } from '../helpers/paging-server.js';
import { ClientLog } from '../helpers/sdk-client.js';
import { until } from '../helpers/wait.js';

const KEY = 'sdk_paging_test';
let server: PagingServer | null = null;
const clients: TickerClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server?.close();
  server = null;
});

function client(options: Partial<TickerClientOptions> = {}): { client: TickerClient; log: ClientLog } {
  const c = new TickerClient({
    url: server!.url,
    key: KEY,
    topics: ['energy'],
    reconnect: { minDelayMs: 20, maxDelayMs: 100, byeSpreadMs: 100 },
    ...options,
  });
  clients.push(c);
  return { client: c, log: new ClientLog(c) };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('a paged replay over the socket', () => {
  it('resuming 1,700 events: pages followed to the end, in order, once each, live only after the last', async () => {
    server = await startPagingServer(1700);
    const { client: c, log } = client({ since: 0 });
    // Live must not be announced before the last page is in.
    c.on('status', ({ status }) => status === 'live' && expect(log.headlines).toHaveLength(1700));
    await c.ready(10_000);
    expect(log.seqs).toEqual(range(1, 1700));
    expect(server.subscribes.map((s) => s.request)).toEqual([
      { topics: ['energy'], since: 0 },
      // each continuation names the last headline it holds, so the gateway can tell a reused number
      ...[1, 2, 3].map((page) => {
        const seq = page * REPLAY_PAGE_MAX_EVENTS;
        return { topics: ['energy'], since: seq, lastSeen: { seq, id: headlineAt(seq).id } };
      }),
    ]);
    expect(new Set(server.subscribes.map((s) => s.socket)).size).toBe(1);
    server.publish(2);
    await log.count(1702);
    expect(log.seqs).toEqual(range(1, 1702));
    expect(c.lastSeq).toBe(1702);
    expect(log.resets).toEqual([]);
  });

  it('live events that arrive between pages wait for the last page and come once, in order', async () => {
    server = await startPagingServer(1200, {
      // While the client pages, the feed moves on, and this server (as one might) emits it early.
      onSubscribe: (socket, request) => {
        if (request.since === REPLAY_PAGE_MAX_EVENTS) {
          const added = server!.publish(3);
          for (const h of added) socket.emit('headline', h);
          socket.emit('headline', headlineAt(1)); // a stray duplicate
        }
      },
    });
    const { client: c, log } = client({ since: 0 });
    await c.ready(10_000);
    await log.count(1203);
    expect(log.seqs).toEqual(range(1, 1203));
  });

  it('a connection lost half-way resumes from the last page it completed, not from the start', async () => {
    server = await startPagingServer(1700, {
      onSubscribe: (socket, _request, n) => {
        if (n === 3) socket.disconnect(true); // the third page never comes on this socket
      },
    });
    const { client: c, log } = client({ since: 0 });
    await c.ready(10_000);
    expect(log.seqs).toEqual(range(1, 1700));
    const requests = server.subscribes.map((s) => s.request.since);
    expect(requests).toEqual([0, 500, 1000, 1000, 1500]);
    expect(new Set(server.subscribes.map((s) => s.socket)).size).toBe(2);
    expect(log.statuses.map((s) => s.status)).toEqual(['reconnecting', 'live']);
  });

  it("catchUp: 'snapshot' (the widget): a gap longer than a page is a fresh snapshot of `limit`, announced as reset", async () => {
    server = await startPagingServer(1700);
    const { client: c, log } = client({ since: 3, limit: 5, catchUp: 'snapshot' });
    await c.ready(10_000);
    expect(server.subscribes.map((s) => s.request)).toEqual([
      { topics: ['energy'], since: 3 },
      { topics: ['energy'], limit: 5 },
    ]);
    expect(log.resets).toHaveLength(1);
    expect(log.resets[0]).toMatchObject({ since: 3, seq: 1700 });
    expect(log.resets[0]!.headlines.map((h) => h.seq)).toEqual(range(1696, 1700));
    expect(log.seqs).toEqual(range(1696, 1700));
    server.publish(1);
    await log.count(6);
    expect(c.lastSeq).toBe(1701);
  });

  it("catchUp: 'snapshot' still replays a gap that fits in one page: nothing is skipped", async () => {
    server = await startPagingServer(300);
    const { client: c, log } = client({ since: 100, limit: 5, catchUp: 'snapshot' });
    await c.ready(10_000);
    expect(log.seqs).toEqual(range(101, 300));
    expect(log.resets).toEqual([]);
  });
});

describe('history() over paged answers', () => {
  it('one page by default, saying `more`; `limit` follows pages until it is met; `all` reads to the end', async () => {
    server = await startPagingServer(1300);
    const { client: c } = client({ limit: 0 });

    const first = await c.history({ since: 0 });
    expect(first.headlines.map((h) => h.seq)).toEqual(range(1, 500));
    expect(first).toMatchObject({ seq: 500, more: true });

    server.historyQueries.length = 0;
    const limited = await c.history({ since: 100, limit: 1000 });
    expect(limited.headlines.map((h) => h.seq)).toEqual(range(101, 1100));
    expect(limited).toMatchObject({ seq: 1100, more: true });
    expect(server.historyQueries).toEqual(['?since=100&limit=1000&topics=energy', '?since=600&limit=500&topics=energy']);

    const all = await c.history({ since: 0, all: true });
    expect(all.headlines.map((h) => h.seq)).toEqual(range(1, 1300));
    expect(all.seq).toBe(1300);
    expect(all.more).toBeUndefined();

    // Without `since` it is a snapshot: never paged.
    const snapshot = await c.history({ limit: 3 });
    expect(snapshot.headlines.map((h) => h.seq)).toEqual([1298, 1299, 1300]);
  });
});

describe('reconnects after a server goodbye', () => {
  it('`bye shutdown` to 20 clients at default settings: none comes back at once, and they come back spread out', async () => {
    server = await startPagingServer(10);
    const many = Array.from({ length: 20 }, () => {
      const c = new TickerClient({ url: server!.url, key: KEY, limit: 0 });
      clients.push(c);
      return c;
    });
    await Promise.all(many.map((c) => c.ready(10_000)));
    const before = server.connections.length;
    const byeAt = Date.now();
    server.bye('shutdown');
    await until(() => server!.connections.length >= before + many.length, 'every client reconnected', 15_000);
    const delays = server.connections.slice(before).map((c) => c.at - byeAt);
    // Never immediate: at least the minimum delay (500 ms) …
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(450);
    // … and spread over the window (uniform in 0.5–5 s: 20 draws within 1 s of each other is ~1e-12).
    expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(1000);
    await Promise.all(many.map((c) => c.ready(10_000)));
  }, 20_000);

  it('`bye slow_consumer` is jittered too, and `bye revoked` stays closed', async () => {
    server = await startPagingServer(10);
    const { client: c, log } = client({ limit: 0, reconnect: { minDelayMs: 200, byeSpreadMs: 400 } });
    await c.ready(10_000);
    const byeAt = Date.now();
    server.bye('slow_consumer');
    await log.status('live', 2);
    expect(server.connections[1]!.at - byeAt).toBeGreaterThanOrEqual(180);
    expect(log.statuses.find((s) => s.status === 'reconnecting')).toMatchObject({ reason: 'slow_consumer' });

    server.bye('revoked');
    await log.status('closed');
    expect(log.statuses.at(-1)).toMatchObject({ status: 'closed', reason: 'revoked' });
    expect(server.connections).toHaveLength(2);
  });
});
