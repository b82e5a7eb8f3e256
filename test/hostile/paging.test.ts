// A replay or a history read is paged: each ack or response carries at most
// REPLAY_PAGE_MAX_EVENTS events and REPLAY_PAGE_MAX_BYTES bytes, `more: true` says to continue
// from `seq`, and the pages together are the whole replay: nothing lost, nothing twice, in order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  REPLAY_PAGE_MAX_BYTES,
  REPLAY_PAGE_MAX_EVENTS,
  type Headline,
  type HistoryResponse,
  type SubscribeOk,
} from '@headline-ticker/sdk/protocol';
import type { RunningTicker } from '../../server/src/ticker.js';
import { ALL_KEY } from '../helpers/config.js';
import { connect, postHeadline, subscribeOk, type TestSocket } from '../helpers/clients.js';
import { useStack } from '../helpers/harness.js';
import { startInProcess } from '../helpers/stack.js';
import { until, waitFor } from '../helpers/wait.js';
import { fillLog } from './fill-log.js';

// The run's shared redis-server, under a key prefix of this file's own.
const stack = useStack({ ticker: false });

const BACKLOG = 30_000;

const expectInOrderOnce = (events: Headline[], from: number, to: number) => {
  expect(events.length).toBe(to - from + 1);
  events.forEach((h, i) => expect(h.seq).toBe(from + i));
};

describe('paged replay and history', () => {
  let ticker: RunningTicker;
  let socket: TestSocket | null = null;

  beforeAll(async () => {
    await fillLog(stack.redis.client, BACKLOG, { prefix: stack.prefix });
    ticker = await startInProcess(stack.redis.url, { prefix: stack.prefix });
  }, 120_000);
  afterAll(async () => {
    socket?.close();
    await ticker?.close();
  });

  /** Pages a subscribe from `since` by hand until the ack has no `more`; every ack checked against the bounds. */
  const replay = async (s: TestSocket, since: number) => {
    const got: Headline[] = [];
    const acks: SubscribeOk[] = [];
    let at = since;
    for (let page = 0; page < 1000; page++) {
      const ack = await subscribeOk(s, { since: at });
      acks.push(ack);
      expect(ack.headlines.length).toBeLessThanOrEqual(REPLAY_PAGE_MAX_EVENTS);
      expect(Buffer.byteLength(JSON.stringify(ack))).toBeLessThanOrEqual(REPLAY_PAGE_MAX_BYTES);
      got.push(...ack.headlines);
      expect(ack.seq).toBeGreaterThanOrEqual(at);
      at = ack.seq;
      if (ack.more !== true) return { got, acks };
    }
    throw new Error('replay never ended');
  };

  it('a subscribe from 0 over a 30,000-event log comes in bounded pages, then goes live', async () => {
    socket = await connect(ticker.url, ALL_KEY);
    const { got, acks } = await replay(socket, 0);
    expect(acks.length).toBeGreaterThan(1);
    expectInOrderOnce(got, 1, BACKLOG);
    // Only the last page joins live delivery.
    const live = waitFor<Headline>(socket, 'headline');
    expect((await postHeadline(ticker.url, { text: 'Live after the replay', topics: ['energy'] })).status).toBe(202);
    expect((await live).seq).toBe(BACKLOG + 1);
  }, 120_000);

  it('a page that is not the last does not join live delivery', async () => {
    const s = await connect(ticker.url, ALL_KEY);
    try {
      const first = await subscribeOk(s, { since: 0 });
      expect(first.more).toBe(true);
      let heard = false;
      s.on('headline', () => (heard = true));
      expect((await postHeadline(ticker.url, { text: 'Not for a paging socket', topics: ['energy'] })).status).toBe(202);
      await waitFor(socket!, 'headline'); // the live socket of the test above hears it
      const again = await subscribeOk(s, { since: BACKLOG });
      expect(again.more).toBeUndefined();
      expect(heard).toBe(false);
    } finally {
      s.close();
    }
  }, 60_000);

  it('a replay from memory is paged the same way', async () => {
    const start = await stack.currentSeq();
    const heard: Headline[] = [];
    socket!.on('headline', (h) => heard.push(h));
    await fillLog(stack.redis.client, 3000, { prefix: stack.prefix, from: BACKLOG + 10 });
    // the live socket has heard the last one: the relay holds them all in memory
    await until(() => heard.at(-1)?.seq === start + 3000, 'the relay has the 3,000 new events');
    const s = await connect(ticker.url, ALL_KEY);
    try {
      const { got, acks } = await replay(s, start);
      expect(acks.length).toBeGreaterThan(1);
      expectInOrderOnce(got, start + 1, start + 3000);
    } finally {
      s.close();
    }
  }, 60_000);

  it('history with since and no limit gets 100; limit is capped at 500; paging reaches the end', async () => {
    const get = async (query: string): Promise<HistoryResponse> => {
      const res = await fetch(`${ticker.url}/api/headlines?${query}`, { headers: { authorization: `Bearer ${ALL_KEY}` } });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(REPLAY_PAGE_MAX_BYTES);
      return JSON.parse(text) as HistoryResponse;
    };
    const first = await get('since=0');
    expect(first.headlines.length).toBe(100);
    expect(first.more).toBe(true);
    expect(first.seq).toBe(100);
    const capped = await get('since=0&limit=1000');
    expect(capped.headlines.length).toBeLessThanOrEqual(REPLAY_PAGE_MAX_EVENTS);
    expect(capped.more).toBe(true);

    const head = await stack.currentSeq();
    const got: Headline[] = [];
    let at = 0;
    for (let page = 0; page < 100; page++) {
      const r = await get(`since=${at}&limit=500`);
      got.push(...r.headlines);
      at = r.seq;
      if (r.more !== true) break;
    }
    expect(at).toBe(head);
    for (let i = 1; i < got.length; i++) expect(got[i]!.seq).toBeGreaterThan(got[i - 1]!.seq);
    expect(new Set(got.map((h) => h.seq)).size).toBe(got.length);
    expectInOrderOnce(got, 1, head); // the log has no gaps: every seq once, in order
  }, 120_000);
});
