// A snapshot (no `since`) of up to 500 headlines is bounded in bytes like a replay page: with
// large headlines it holds the newest that fit in REPLAY_PAGE_MAX_BYTES, fewer than `limit`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPLAY_PAGE_MAX_BYTES, type HistoryResponse } from '@headline-ticker/sdk/protocol';
import { FeedLog } from '../../server/src/log/feed-log.js';
import type { RunningTicker } from '../../server/src/ticker.js';
import { ALL_KEY } from '../helpers/config.js';
import { connect, subscribeOk } from '../helpers/clients.js';
import { useStack } from '../helpers/harness.js';
import { startInProcess } from '../helpers/stack.js';
import { eventOf } from './fill-log.js';

// The run's shared redis-server, under a key prefix of this file's own.
const stack = useStack({ ticker: false });

const COUNT = 500;

describe('snapshots of large headlines', () => {
  let ticker: RunningTicker;

  beforeAll(async () => {
    const log = new FeedLog(stack.redis.client, stack.keys, { maxEvents: 100_000, minAgeSeconds: 3600 });
    // about 4.3 KB each: 500 of them would be over 2 MB in one answer
    const big = (i: number) => ({
      ...eventOf(i),
      summary: `${'Analysts expect the cut to hold. '.repeat(60)}#${i}`,
      url: `https://example.com/${'p'.repeat(2000)}`,
    });
    for (let i = 0; i < COUNT; i++) await log.append({ opId: `big-${i}`, expectedVersion: 0, event: big(i) });
    ticker = await startInProcess(stack.redis.url, { prefix: stack.prefix });
  }, 60_000);
  afterAll(async () => {
    await ticker?.close();
  });

  it('subscribe with limit 500: at most 256 KiB, the newest headlines, ending at the head', async () => {
    const s = await connect(ticker.url, ALL_KEY);
    try {
      const ack = await subscribeOk(s, { limit: COUNT });
      expect(Buffer.byteLength(JSON.stringify(ack))).toBeLessThanOrEqual(REPLAY_PAGE_MAX_BYTES);
      expect(ack.headlines.length).toBeGreaterThan(10);
      expect(ack.headlines.length).toBeLessThan(COUNT);
      expect(ack.seq).toBe(COUNT);
      expect(ack.headlines.map((h) => h.seq)).toEqual(
        Array.from({ length: ack.headlines.length }, (_, i) => COUNT - ack.headlines.length + 1 + i),
      );
    } finally {
      s.close();
    }
  });

  it('history with limit 500 and no since: at most 256 KiB, the newest', async () => {
    const res = await fetch(`${ticker.url}/api/headlines?limit=500`, { headers: { authorization: `Bearer ${ALL_KEY}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(REPLAY_PAGE_MAX_BYTES);
    const body = JSON.parse(text) as HistoryResponse;
    expect(body.headlines.length).toBeLessThan(COUNT);
    expect(body.headlines.at(-1)!.seq).toBe(COUNT);
  });
});
