// A delayed key's history and stream from far back are paged like a real-time key's: each
// request reads a bounded stretch of the log (counted here as the events its XRANGE/XREVRANGE
// commands may return, seen through MONITOR), and paging still reaches the end in order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { Headline, HistoryResponse } from '@headline-ticker/sdk/protocol';
import type { RunningTicker } from '../../server/src/ticker.js';
import { ALL_KEY, testConfig } from '../helpers/config.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { startInProcess } from '../helpers/stack.js';
import { until } from '../helpers/wait.js';
import { fillLog } from './fill-log.js';

const BACKLOG = 30_000;
const DEMO = 'demo_delayed_replay_key';
/** events a bounded page may read: a scan of 5,000 and batches' slack, far below the log */
const READ_BOUND = 7_000;

/** Every stream range read Redis is asked for while `work` runs, as MONITOR shows them (source and arguments). */
const reads: string[] = [];

/** Sums the COUNT of every stream range read Redis is asked for while `work` runs. */
async function eventsRead(url: string, work: () => Promise<void>): Promise<number> {
  const watcher = new Redis(url);
  const monitor = await watcher.monitor();
  let sum = 0;
  reads.length = 0;
  const marker = `done-${Math.random()}`;
  const seenMarker = new Promise<void>((resolve) => {
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      const cmd = args[0]?.toLowerCase();
      if (cmd === 'echo' && args[1] === marker) resolve();
      if (cmd !== 'xrange' && cmd !== 'xrevrange') return;
      reads.push(`${source}: ${args.join(' ')}`);
      const at = args.findIndex((a) => a.toLowerCase() === 'count');
      // without COUNT: one entry when both ends are the same id, else unbounded
      if (at < 0) sum += args[2] === args[3] ? 1 : Number.POSITIVE_INFINITY;
      else sum += Number(args[at + 1]);
    });
  });
  try {
    await work();
    const echo = new Redis(url);
    await echo.echo(marker);
    echo.disconnect();
    await seenMarker;
    return sum;
  } finally {
    monitor.disconnect();
    watcher.disconnect();
  }
}

describe('a delayed key replaying from far back', () => {
  let redis: TestRedis;
  let ticker: RunningTicker;

  beforeAll(async () => {
    redis = await startTestRedis();
    await fillLog(redis.client, BACKLOG);
    ticker = await startInProcess(redis.url, {
      config: testConfig({
        keys: [
          { key: ALL_KEY, name: 'all', topics: ['*'] },
          { key: DEMO, name: 'demo', topics: ['*'], delaySeconds: 1 },
        ],
        limits: { historyPerMinute: 10_000, historyPerAddressPerMinute: 10_000 },
      }),
    });
    // The demo key's lane has released every event (its delay, 1 s, has run out for all of them):
    // before that, a replay would also read the events still held back, from the log.
    await until(() => ticker.gateway!.horizon(1) >= BACKLOG, 'the 1 s lane has released the backlog');
  }, 120_000);
  afterAll(async () => {
    await ticker?.close();
    await redis?.stop();
  });

  const history = async (query: string): Promise<HistoryResponse> => {
    const res = await fetch(`${ticker.url}/api/headlines?${query}`, { headers: { authorization: `Bearer ${DEMO}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as HistoryResponse;
  };

  it('history since 0 reads a bounded stretch of the log, and says there is more', async () => {
    let page: HistoryResponse | null = null;
    const read = await eventsRead(redis.url, async () => {
      page = await history('since=0');
    });
    expect(read, reads.join('\n')).toBeLessThanOrEqual(READ_BOUND);
    expect(page!.headlines.length).toBe(100);
    expect(page!.more).toBe(true);
  });

  it('with a filter that matches nothing: still bounded, and the page moves on', async () => {
    let page: HistoryResponse | null = null;
    const read = await eventsRead(redis.url, async () => {
      page = await history('since=0&topics=nomatch');
    });
    expect(read, reads.join('\n')).toBeLessThanOrEqual(READ_BOUND);
    expect(page!.headlines).toEqual([]);
    expect(page!.more).toBe(true);
    expect(page!.seq).toBeGreaterThan(0);
  });

  it('paging to the end gets every event once, in order', async () => {
    const got: Headline[] = [];
    let at = 0;
    for (let i = 0; i < 200; i++) {
      const page = await history(`since=${at}&limit=500`);
      got.push(...page.headlines);
      expect(page.seq).toBeGreaterThan(at);
      at = page.seq;
      if (page.more !== true) break;
    }
    expect(at).toBe(BACKLOG);
    expect(got.map((h) => h.seq)).toEqual(Array.from({ length: BACKLOG }, (_, i) => i + 1));
  }, 60_000);

  it('a stream since 0 reads a bounded stretch before it starts', async () => {
    const ac = new AbortController();
    const read = await eventsRead(redis.url, async () => {
      const res = await fetch(`${ticker.url}/api/stream?since=0&topics=nomatch`, {
        headers: { authorization: `Bearer ${DEMO}` },
        signal: ac.signal,
      });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      // a bounded replay ends with a reset to where live delivery starts (the filter matches nothing)
      const deadline = Date.now() + 10_000;
      while (!text.includes('replay_bound')) {
        if (Date.now() > deadline) throw new Error(`no replay_bound within 10 s: ${text}`);
        const chunk = await reader.read();
        if (chunk.done) throw new Error(`stream ended: ${text}`);
        text += decoder.decode(chunk.value);
      }
    });
    ac.abort();
    expect(read, reads.join('\n')).toBeLessThanOrEqual(READ_BOUND);
  });
});
