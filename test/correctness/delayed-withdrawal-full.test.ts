// The case at its own length: a demo key delayed 60 s never sees a story withdrawn 10 s
// after publication, on its socket or in its history, watched for 90 s — while a story published
// just after the kill does reach it when its delay runs out (so the watch is not of a dead feed).
// changes-reach-readers.test.ts runs the same orderings with short delays; this one takes ~95 s
// and runs beside the rest of the suite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Headline, HistoryResponse } from '@headline-ticker/sdk/protocol';
import type { RunningTicker } from '../../server/src/ticker.js';
import { ALL_KEY, EDITOR_TOKEN, testConfig } from '../helpers/config.js';
import { Recorder, connect, postHeadline, subscribeOk, type TestSocket } from '../helpers/clients.js';
import { useStack } from '../helpers/harness.js';

const stack = useStack({ ticker: false });

const DEMO_KEY = 'sdk_demo_delayed_60';
const DELAY_S = 60;
const KILL_AFTER_MS = 10_000;
const WATCH_MS = 90_000;

let ticker: RunningTicker;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  ticker = await stack.startTicker({
    config: testConfig({
      keys: [
        { key: ALL_KEY, name: 'all', topics: ['*'] },
        { key: DEMO_KEY, name: 'demo, delayed 60 s', topics: ['*'], delaySeconds: DELAY_S },
      ],
    }),
  });
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await ticker?.close();
});

async function open(key: string): Promise<Recorder> {
  const socket = await connect(ticker.url, key);
  sockets.push(socket);
  const rec = new Recorder(socket);
  await subscribeOk(socket, { limit: 0 });
  return rec;
}

async function history(query: string): Promise<HistoryResponse> {
  const res = await fetch(`${ticker.url}/api/headlines?${query}`, { headers: { authorization: `Bearer ${DEMO_KEY}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as HistoryResponse;
}

async function firstMatching(rec: Recorder, pred: (h: Headline) => boolean, timeoutMs: number): Promise<Headline> {
  for (let n = 1; ; n++) {
    const h = (await rec.count(n, timeoutMs))[n - 1]!;
    if (pred(h)) return h;
  }
}

describe(`a demo key delayed ${DELAY_S} s, watched for ${WATCH_MS / 1000} s`, () => {
  it(
    `never sees a story withdrawn ${KILL_AFTER_MS / 1000} s after publication, on the socket or in history`,
    async () => {
      const live = await open(ALL_KEY);
      const demo = await open(DEMO_KEY);
      const before = (await history('limit=1')).seq;
      const started = Date.now();
      const killed = await postHeadline(ticker.url, { text: 'Story killed ten seconds in', topics: ['politics'] });
      const id = killed.json.id!;
      const v1 = await firstMatching(live, (h) => h.id === id, 10_000);
      await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(v1.publishedAt) + KILL_AFTER_MS - Date.now())));
      const res = await fetch(`${ticker.url}/api/headlines/${id}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${EDITOR_TOKEN}` },
      });
      expect(res.status).toBe(202);
      await firstMatching(live, (h) => h.id === id && h.status === 'withdrawn', 10_000);
      const after = await postHeadline(ticker.url, { text: 'Filed just after the kill', topics: ['politics'] });
      // The watch: history every 5 s until 90 s after publication; the socket throughout.
      const seenAt: { after: number | null } = { after: null };
      void firstMatching(demo, (h) => h.id === after.json.id, WATCH_MS + 10_000).then(
        () => (seenAt.after = Date.now()),
        () => undefined, // not seen: the assertion below says so
      );
      let polls = 0;
      while (Date.now() - started < WATCH_MS) {
        const page = await history(`since=${before}&limit=100`);
        expect(page.headlines.some((h) => h.id === id)).toBe(false);
        polls++;
        await new Promise((r) => setTimeout(r, Math.min(5000, Math.max(0, started + WATCH_MS - Date.now()))));
      }
      expect(polls).toBeGreaterThanOrEqual(15);
      expect(demo.received.filter((h) => h.id === id)).toEqual([]);
      expect((await history(`since=${before}&limit=100`)).headlines.some((h) => h.id === id)).toBe(false);
      expect((await history('limit=100')).headlines.some((h) => h.id === id)).toBe(false);
      // Not a dead feed: the story filed after the kill reached the demo key once its delay ran out.
      expect(seenAt.after).not.toBeNull();
      expect(seenAt.after! - started).toBeGreaterThanOrEqual(DELAY_S * 1000 + KILL_AFTER_MS - 1000);
    },
    WATCH_MS + 60_000,
  );
});
