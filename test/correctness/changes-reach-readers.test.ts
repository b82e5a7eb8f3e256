// A correction that changes a headline's topics, and a withdrawal, reach every reader who could
// have seen an earlier version — live, by `since`, in history, and on delayed keys — and a
// delayed key gets each headline in its latest state. Delays of 1–3 s here; the 60 s
// delay watched for 90 s runs at full length in delayed-withdrawal-full.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeadlineSchema } from '@headline-ticker/sdk/schemas';
import type { Headline, HistoryResponse } from '@headline-ticker/sdk/protocol';
import type { RunningTicker } from '../../server/src/ticker.js';
import { ALL_KEY, EDITOR_TOKEN, testConfig } from '../helpers/config.js';
import { Recorder, connect, postHeadline, subscribeOk, type TestSocket } from '../helpers/clients.js';
import { useStack } from '../helpers/harness.js';

// The run's shared redis-server under a key prefix of this file's own; tickers start in beforeAll.
const stack = useStack({ ticker: false });

const A_KEY = 'sdk_topic_a';
const A_DELAYED_KEY = 'sdk_topic_a_delayed';
const DELAYED_KEY = 'sdk_all_delayed';
const DELAY_A = 1;
const DELAY = 3;

let ticker: RunningTicker;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  ticker = await stack.startTicker({
    config: testConfig({
      keys: [
        { key: ALL_KEY, name: 'all', topics: ['*'] },
        { key: A_KEY, name: 'topic a', topics: ['a'] },
        { key: A_DELAYED_KEY, name: 'topic a, delayed', topics: ['a'], delaySeconds: DELAY_A },
        { key: DELAYED_KEY, name: 'all, delayed', topics: ['*'], delaySeconds: DELAY },
      ],
    }),
  });
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await ticker?.close();
});

async function open(key: string): Promise<{ socket: TestSocket; rec: Recorder }> {
  const socket = await connect(ticker.url, key);
  sockets.push(socket);
  const rec = new Recorder(socket);
  await subscribeOk(socket, { limit: 0 });
  return { socket, rec };
}

async function edit(method: 'PATCH' | 'DELETE', id: string, body?: unknown): Promise<void> {
  const res = await fetch(`${ticker.url}/api/headlines/${id}`, {
    method,
    headers: { authorization: `Bearer ${EDITOR_TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(res.status).toBe(202);
}

async function history(key: string, query = ''): Promise<HistoryResponse> {
  const res = await fetch(`${ticker.url}/api/headlines?${query}`, { headers: { authorization: `Bearer ${key}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as HistoryResponse;
}

/** Resolves with the first headline `rec` receives that satisfies `pred`. */
async function seen(rec: Recorder, pred: (h: Headline) => boolean, timeoutMs = 10_000): Promise<Headline> {
  for (let n = 1; ; n++) {
    const got = await rec.count(n, timeoutMs);
    const h = got[n - 1]!;
    if (pred(h)) return h;
  }
}

const of = (rec: Recorder, id: string) => rec.received.filter((h) => h.id === id);

describe('a topic-changing correction, then a withdrawal', () => {
  it('reaches a key of the old topic as a withdrawal: live, by since, in history, and delayed', async () => {
    const all = await open(ALL_KEY);
    const a = await open(A_KEY);
    const aDelayed = await open(A_DELAYED_KEY);
    const posted = await postHeadline(ticker.url, { text: 'Story first filed under a', topics: ['a'] });
    const id = posted.json.id!;
    const v1 = await seen(all.rec, (h) => h.id === id);
    const before = v1.seq - 1;
    // The delayed key saw the first version before the change (its delay ran out first).
    await seen(aDelayed.rec, (h) => h.id === id, 5000);

    await edit('PATCH', id, { topics: ['b'], text: 'Story moved to b' });
    await seen(all.rec, (h) => h.id === id && h.version === 2);
    await edit('DELETE', id);
    const gone = await seen(all.rec, (h) => h.id === id && h.status === 'withdrawn');
    const marker = await postHeadline(ticker.url, { text: 'marker after the withdrawal', topics: ['a'] });
    await seen(a.rec, (h) => h.id === marker.json.id);

    // Live: the a-key saw v1, then a withdrawal of v1 at the correction's seq; nothing of b.
    const live = of(a.rec, id);
    expect(live.map((h) => [h.seq, h.status, h.text])).toEqual([
      [v1.seq, 'published', 'Story first filed under a'],
      [v1.seq + 1, 'withdrawn', 'Story first filed under a'],
    ]);
    for (const h of live) {
      expect(HeadlineSchema.safeParse(h).success).toBe(true);
      expect(h.topics).toEqual(['a']);
    }
    expect(gone.seq).toBe(v1.seq + 2);

    // By since, on a fresh socket: the same two events.
    const resumed = await connect(ticker.url, A_KEY);
    sockets.push(resumed);
    const replay = await subscribeOk(resumed, { since: before });
    expect(replay.headlines.filter((h) => h.id === id).map((h) => [h.seq, h.status])).toEqual([
      [v1.seq, 'published'],
      [v1.seq + 1, 'withdrawn'],
    ]);
    // History: not in the snapshot; by since, withdrawn.
    expect((await history(A_KEY)).headlines.some((h) => h.id === id)).toBe(false);
    const hist = await history(A_KEY, `since=${before}`);
    expect(hist.headlines.filter((h) => h.id === id).map((h) => h.status)).toEqual(['published', 'withdrawn']);

    // The delayed a-key: told the same once the delay has passed — at the correction's seq, or
    // at the withdrawal's when that overtook the correction inside the delay (latest state).
    await seen(aDelayed.rec, (h) => h.id === marker.json.id, 5000);
    const delayedSeen = of(aDelayed.rec, id);
    expect(delayedSeen.map((h) => [h.status, h.text, h.topics])).toEqual([
      ['published', 'Story first filed under a', ['a']],
      ['withdrawn', 'Story first filed under a', ['a']],
    ]);
    expect([v1.seq + 1, v1.seq + 2]).toContain(delayedSeen[1]!.seq);
    const delayedHist = await history(A_DELAYED_KEY, `since=${before}`);
    expect(delayedHist.headlines.filter((h) => h.id === id).map((h) => h.status)).toEqual(['published', 'withdrawn']);
    expect((await history(A_DELAYED_KEY)).headlines.some((h) => h.id === id)).toBe(false);
  });
});

describe(`a delayed key (${DELAY} s)`, () => {
  it('never sees a story withdrawn inside its delay, on the socket or in history', async () => {
    const all = await open(ALL_KEY);
    const delayed = await open(DELAYED_KEY);
    const before = (await history(DELAYED_KEY, 'limit=1')).seq;
    const posted = await postHeadline(ticker.url, { text: 'Killed story', topics: ['politics'] });
    const id = posted.json.id!;
    const v1 = await seen(all.rec, (h) => h.id === id);
    // Withdrawn about 1 s after publication, well inside the delay.
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(v1.updatedAt) + 1000 - Date.now())));
    await edit('DELETE', id);
    await seen(all.rec, (h) => h.id === id && h.status === 'withdrawn');
    // History while the story is inside the window, and after the withdrawal's own delay.
    expect((await history(DELAYED_KEY, `since=${before}`)).headlines.some((h) => h.id === id)).toBe(false);
    const marker = await postHeadline(ticker.url, { text: 'after the kill', topics: ['politics'] });
    await seen(delayed.rec, (h) => h.id === marker.json.id, (DELAY + 5) * 1000);
    expect(of(delayed.rec, id)).toEqual([]);
    expect((await history(DELAYED_KEY, `since=${before}`)).headlines.some((h) => h.id === id)).toBe(false);
    expect((await history(DELAYED_KEY)).headlines.some((h) => h.id === id)).toBe(false);
    const fresh = await connect(ticker.url, DELAYED_KEY);
    sockets.push(fresh);
    expect((await subscribeOk(fresh, { since: before })).headlines.some((h) => h.id === id)).toBe(false);
  });

  it('gets the corrected version of a story corrected inside its delay, not the first', async () => {
    const all = await open(ALL_KEY);
    const delayed = await open(DELAYED_KEY);
    const before = (await history(DELAYED_KEY, 'limit=1')).seq;
    const posted = await postHeadline(ticker.url, { text: 'First wording', topics: ['energy'] });
    const id = posted.json.id!;
    await seen(all.rec, (h) => h.id === id);
    await edit('PATCH', id, { text: 'Corrected wording' });
    await seen(all.rec, (h) => h.id === id && h.version === 2);
    const got = await seen(delayed.rec, (h) => h.id === id, (DELAY + 5) * 1000);
    expect([got.version, got.text]).toEqual([2, 'Corrected wording']);
    const marker = await postHeadline(ticker.url, { text: 'after the correction', topics: ['energy'] });
    await seen(delayed.rec, (h) => h.id === marker.json.id, (DELAY + 5) * 1000);
    expect(of(delayed.rec, id).map((h) => h.text)).toEqual(['Corrected wording']);
    const hist = await history(DELAYED_KEY, `since=${before}`);
    expect(hist.headlines.filter((h) => h.id === id).map((h) => h.text)).toEqual(['Corrected wording']);
  });
});
