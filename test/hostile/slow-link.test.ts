// A desk resuming a backlog over a slow link (~1 MB/s) catches up and goes live: replay pages
// are small against the slow-consumer budget, so it is never shed and never rebuilds forever.
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TickerClient } from '@headline-ticker/sdk';
import type { Headline } from '@headline-ticker/sdk/protocol';
import type { RunningTicker } from '../../server/src/ticker.js';
import { ALL_KEY } from '../helpers/config.js';
import { postHeadline, subscribeOk, type TestSocket } from '../helpers/clients.js';
import { useStack } from '../helpers/harness.js';
import { startInProcess } from '../helpers/stack.js';
import { waitFor } from '../helpers/wait.js';
import { ClientLog } from '../helpers/sdk-client.js';
import { throttlingProxy, type ThrottlingProxy } from '../helpers/throttling-proxy.js';
import { until } from '../helpers/wait.js';
import { fillLog } from './fill-log.js';

// The run's shared redis-server, under a key prefix of this file's own.
const stack = useStack({ ticker: false });

const BACKLOG = 15_000;
const BYTES_PER_SECOND = 1_000_000;

describe('a slow link', () => {
  let ticker: RunningTicker;
  let proxy: ThrottlingProxy;

  beforeAll(async () => {
    await fillLog(stack.redis.client, BACKLOG, { prefix: stack.prefix });
    ticker = await startInProcess(stack.redis.url, { prefix: stack.prefix });
    proxy = await throttlingProxy(ticker.port, BYTES_PER_SECOND);
  }, 120_000);
  afterAll(async () => {
    await proxy?.close();
    await ticker?.close();
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
  it('the SDK resumes the backlog from since 0 through the same link by itself: live, every event once, in order', async () => {
    const client = new TickerClient({ url: `http://127.0.0.1:${proxy.port}`, key: ALL_KEY, since: 0 });
    const log = new ClientLog(client);
    try {
      await log.status('live', 1, 90_000);
      const head = await stack.currentSeq();
      expect(log.seqs).toEqual(Array.from({ length: head }, (_, i) => i + 1));
      expect(log.statuses.map((s) => s.status)).toEqual(['live']);
      expect(log.resets).toEqual([]);
      expect(log.errors).toEqual([]);
      expect(ticker.gateway!.backpressure.stats().shed).toBe(0);
      // and it stays live: the next headline arrives once, after the backlog
      expect((await postHeadline(ticker.url, { text: 'After the SDK caught up', topics: ['energy'] })).status).toBe(202);
      await log.text('After the SDK caught up');
      expect(log.seqs.at(-1)).toBe(head + 1);
      await until(() => log.seqs.length === head + 1, 'nothing more, nothing twice');
    } finally {
      await client.close();
    }
  }, 120_000);
});
