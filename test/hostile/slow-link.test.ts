// A desk resuming a backlog over a slow link (~1 MB/s) catches up and goes live: replay pages
// are small against the slow-consumer budget, so it is never shed and never rebuilds forever.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Headline } from '@headline-ticker/sdk/protocol';
import type { RunningTicker } from '../../server/src/ticker.js';
import { ALL_KEY } from '../helpers/config.js';
import { postHeadline, subscribeOk, type TestSocket } from '../helpers/clients.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { startInProcess } from '../helpers/stack.js';
import { waitFor } from '../helpers/wait.js';
import { fillLog } from './fill-log.js';

const BACKLOG = 15_000;
const BYTES_PER_SECOND = 1_000_000;

/** A TCP proxy whose server→client direction carries at most `rate` bytes a second. */
async function throttlingProxy(target: number, rate: number): Promise<{ port: number; close: () => Promise<void> }> {
  const tick = 20;
  const perTick = Math.floor((rate * tick) / 1000);
  const pairs = new Set<[Socket, Socket]>();
  const server: Server = createServer((client) => {
    const upstream = createConnection(target, '127.0.0.1');
    pairs.add([client, upstream]);
    client.pipe(upstream);
    const queue: Buffer[] = [];
    upstream.on('data', (chunk: Buffer) => {
      queue.push(chunk);
      upstream.pause(); // read no faster than we forward: the gateway sees a slow reader
    });
    const timer = setInterval(() => {
      let budget = perTick;
      while (budget > 0 && queue.length > 0) {
        const head = queue[0]!;
        const part = head.subarray(0, budget);
        client.write(part);
        budget -= part.length;
        if (part.length === head.length) queue.shift();
        else queue[0] = head.subarray(part.length);
      }
      if (queue.length === 0) upstream.resume();
    }, tick);
    const end = () => {
      clearInterval(timer);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const [a, b] of pairs) {
          a.destroy();
          b.destroy();
        }
        server.close(() => resolve());
      }),
  };
}

describe('a slow link', () => {
  let redis: TestRedis;
  let ticker: RunningTicker;
  let proxy: Awaited<ReturnType<typeof throttlingProxy>>;

  beforeAll(async () => {
    redis = await startTestRedis();
    await fillLog(redis.client, BACKLOG);
    ticker = await startInProcess(redis.url);
    proxy = await throttlingProxy(ticker.port, BYTES_PER_SECOND);
  }, 120_000);
  afterAll(async () => {
    await proxy?.close();
    await ticker?.close();
    await redis?.stop();
  });

  it('resumes a 15,000-event backlog at ~1 MB/s and reaches live without being shed', async () => {
    const socket: TestSocket = io(`http://127.0.0.1:${proxy.port}`, {
      auth: { key: ALL_KEY },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    const byes: string[] = [];
    socket.on('bye', ({ reason }) => byes.push(reason));
    try {
      await waitFor(socket, 'connect');
      const got: Headline[] = [];
      let at = 0;
      for (let page = 0; ; page++) {
        expect(page).toBeLessThan(200);
        const ack = await subscribeOk(socket, { since: at });
        got.push(...ack.headlines);
        at = ack.seq;
        if (ack.more !== true) break;
      }
      expect(got.length).toBe(BACKLOG);
      got.forEach((h, i) => expect(h.seq).toBe(i + 1));
      const live = waitFor<Headline>(socket, 'headline');
      expect((await postHeadline(ticker.url, { text: 'Caught up', topics: ['energy'] })).status).toBe(202);
      expect((await live).text).toBe('Caught up');
      expect(byes).toEqual([]);
      expect(ticker.gateway!.backpressure.stats().shed).toBe(0);
    } finally {
      socket.close();
    }
  }, 90_000);
});
