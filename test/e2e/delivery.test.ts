import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Headline, SubscribeOk } from '@headline-ticker/sdk/protocol';
import { ALL_KEY, EDITOR_TOKEN, testConfig } from '../helpers/config.js';
import { Recorder, connect, postHeadline, subscribe, subscribeOk, type TestSocket } from '../helpers/clients.js';
import { useStack } from '../helpers/harness.js';
import { until, waitFor } from '../helpers/wait.js';

const sockets: TestSocket[] = [];

const stack = useStack({ ticker: { relayBufferSize: 20 } });

beforeAll(async () => {
  // A small relay buffer, so resumes also take the path that reads the log from Redis.
});
afterAll(async () => {
  for (const s of sockets) s.close();
});

const open = async () => {
  const s = await connect(stack.ticker.url, ALL_KEY);
  sockets.push(s);
  return s;
};
async function editorCall(method: 'PATCH' | 'DELETE', id: string, body?: unknown) {
  const res = await fetch(`${stack.ticker.url}/api/headlines/${id}`, {
    method,
    headers: { authorization: `Bearer ${EDITOR_TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as { id?: string; status?: string; error?: { code: string } } };
}

/** Publish `n` headlines and wait until a watcher has seen the last of them. */
async function publish(n: number, prefix: string, topics = ['energy']): Promise<Headline[]> {
  const watcher = await open();
  const rec = new Recorder(watcher);
  await subscribeOk(watcher, { limit: 0 });
  for (let i = 0; i < n; i++) expect((await postHeadline(stack.ticker.url, { text: `${prefix} ${i}`, topics })).status).toBe(202);
  const got = await rec.count(n);
  watcher.close();
  return got;
}

describe('resume with since', () => {
  it('from the middle of the log returns exactly the later matching events, in order', async () => {
    const published = await publish(60, 'resume');
    const mid = published[19]!.seq;
    const s = await open();
    const ack = await subscribeOk(s, { since: mid });
    expect(ack.reset).toBeUndefined();
    expect(ack.headlines.map((h) => h.seq)).toEqual(published.slice(20).map((h) => h.seq));
    expect(ack.seq).toBe(await stack.currentSeq());
    // Same answer from the log (beyond the 20-event memory) and from memory (recent).
    const recent = await subscribeOk(await open(), { since: published[55]!.seq });
    expect(recent.headlines.map((h) => h.text)).toEqual(['resume 56', 'resume 57', 'resume 58', 'resume 59']);
  });

  it('applies the filter to the replay', async () => {
    const mixed = await open();
    const rec = new Recorder(mixed);
    const start = await subscribeOk(mixed, { limit: 0 });
    await postHeadline(stack.ticker.url, { text: 'politics one', topics: ['politics'] });
    await postHeadline(stack.ticker.url, { text: 'gazp energy', topics: ['energy'], symbols: ['GAZP'] });
    await postHeadline(stack.ticker.url, { text: 'sber only', topics: ['banks'], symbols: ['SBER'] });
    await rec.count(3);
    const ack = await subscribeOk(await open(), { since: start.seq, topics: ['politics'], symbols: ['SBER'] });
    expect(ack.headlines.map((h) => h.text)).toEqual(['politics one', 'sber only']);
  });

  it('at the live boundary: publishing while resuming, nothing twice, nothing missing', async () => {
    const since = await stack.currentSeq();
    const s = await open();
    const live: Headline[] = [];
    let acked: number | null = null;
    const earlyLive: number[] = [];
    s.on('headline', (h) => {
      if (acked === null) earlyLive.push(h.seq);
      live.push(h);
    });
    const posting = (async () => {
      for (let i = 0; i < 40; i++) await postHeadline(stack.ticker.url, { text: `boundary ${i}` });
    })();
    // Subscribe while the posts are flowing.
    await until(async () => (await stack.currentSeq()) >= since + 10, 'ten of the posts landed');
    // The ack callback runs in packet order (an awaited promise would resume only after later
    // packets from the same read were dispatched), so `earlyLive` sees the true wire order.
    const ack = await new Promise<SubscribeOk>((resolve, reject) =>
      s.emit('subscribe', { since }, (a) => {
        if (!a.ok) return reject(new Error(a.error.message));
        acked = a.seq;
        resolve(a);
      }),
    );
    await posting;
    const last = since + 40;
    await until(() => (live.at(-1)?.seq ?? ack.seq) >= last, 'the live stream reaches the end');
    expect(earlyLive).toEqual([]);
    const all = [...ack.headlines, ...live].map((h) => h.seq);
    expect(all).toEqual(Array.from({ length: last - since }, (_, i) => since + 1 + i));
    expect(live.every((h) => h.seq > ack.seq)).toBe(true);
  });

  it('since older than the retained log gets reset and a fresh snapshot', async () => {
    const small = await stack.startTicker({
      prefix: 'small',
      config: testConfig({ retention: { maxEvents: 10, minAgeSeconds: 0 } }),
    });
    try {
      const s = await connect(small.url, ALL_KEY);
      sockets.push(s);
      const rec = new Recorder(s);
      await subscribeOk(s, { limit: 0 });
      for (let i = 0; i < 25; i++) await postHeadline(small.url, { text: `old ${i}` });
      await rec.count(25);
      const again = await connect(small.url, ALL_KEY);
      sockets.push(again);
      const ack = await subscribeOk(again, { since: 2, limit: 5 });
      expect(ack.reset).toBe(true);
      expect(ack.headlines.map((h) => h.text)).toEqual(['old 20', 'old 21', 'old 22', 'old 23', 'old 24']);
      expect(ack.seq).toBe(25);
      const history = (await fetch(`${small.url}/api/headlines?since=2&limit=5&key=${ALL_KEY}`).then((r) => r.json())) as {
        reset?: boolean;
      };
      expect(history.reset).toBe(true);
    } finally {
      await small.close();
    }
  });

  it('since ahead of the feed is a bad request', async () => {
    const ack = await subscribe(await open(), { since: (await stack.currentSeq()) + 5 });
    expect(ack).toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });
});

describe('exactly once from the desk', () => {
  it('the same idempotencyKey returns the same id and publishes once', async () => {
    const s = await open();
    const rec = new Recorder(s);
    await subscribeOk(s, { limit: 0 });
    const body = { text: 'once only', idempotencyKey: 'desk-7f3a' };
    const answers = await Promise.all([1, 2, 3, 4].map(() => postHeadline(stack.ticker.url, body)));
    const ids = new Set(answers.map((a) => a.json.id));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202]);
    expect(ids.size).toBe(1);
    // A later marker proves nothing else from the four requests arrives.
    await postHeadline(stack.ticker.url, { text: 'after once' });
    const got = await rec.count(2);
    expect(got.map((h) => h.text)).toEqual(['once only', 'after once']);
    expect(got[0]!.id).toBe([...ids][0]);
  });
});

describe('corrections and withdrawals', () => {
  it('a correction is a new event: same id, version + 1, new seq, status corrected', async () => {
    const s = await open();
    const rec = new Recorder(s);
    await subscribeOk(s, { limit: 0 });
    const posted = await postHeadline(stack.ticker.url, { text: 'Oil falls 3%', topics: ['energy'], urgency: 'urgent' });
    const [original] = await rec.count(1);
    const fix = await editorCall('PATCH', posted.json.id!, { text: 'Oil falls 4%' });
    expect(fix).toEqual({ status: 202, json: { id: posted.json.id, status: 'queued' } });
    const [, corrected] = await rec.count(2);
    expect(corrected).toEqual({
      ...original,
      seq: original!.seq + 1,
      version: 2,
      status: 'corrected',
      text: 'Oil falls 4%',
      updatedAt: expect.any(String),
    });
    expect(corrected!.publishedAt).toBe(original!.publishedAt);

    const gone = await editorCall('DELETE', posted.json.id!);
    expect(gone).toEqual({ status: 202, json: { id: posted.json.id, status: 'queued' } });
    const [, , withdrawn] = await rec.count(3);
    expect(withdrawn).toMatchObject({ id: posted.json.id, version: 3, status: 'withdrawn', seq: corrected!.seq + 1 });

    // A withdrawn headline cannot be corrected; it leaves the snapshot.
    expect(await editorCall('PATCH', posted.json.id!, { text: 'again' })).toMatchObject({
      status: 409,
      json: { error: { code: 'conflict' } },
    });
    const snap = await subscribeOk(await open(), { limit: 50 });
    expect(snap.headlines.some((h) => h.id === posted.json.id)).toBe(false);
  });

  it('unknown ids: 404; a bad correction body: 400 and nothing changes', async () => {
    expect(await editorCall('PATCH', 'nope123', { text: 'x' })).toMatchObject({ status: 404, json: { error: { code: 'not_found' } } });
    expect(await editorCall('DELETE', 'nope123')).toMatchObject({ status: 404, json: { error: { code: 'not_found' } } });
    const posted = await publish(1, 'to-correct');
    const before = await stack.currentSeq();
    expect(await editorCall('PATCH', posted[0]!.id, {})).toMatchObject({ status: 400 });
    expect(await editorCall('PATCH', posted[0]!.id, { url: 'javascript:alert(1)' })).toMatchObject({ status: 400 });
    expect(await stack.currentSeq()).toBe(before);
  });
});

describe('embargo', () => {
  it('is published at its time, never before; a cancelled one never goes out', async () => {
    const s = await open();
    const rec = new Recorder(s);
    await subscribeOk(s, { limit: 0 });
    const embargo = new Date(Date.now() + 1500).toISOString();
    const cancelledAt = new Date(Date.now() + 1200).toISOString();
    const held = await postHeadline(stack.ticker.url, { text: 'embargoed results', embargoUntil: embargo });
    const doomed = await postHeadline(stack.ticker.url, { text: 'never to be seen', embargoUntil: cancelledAt });
    expect(held).toMatchObject({ status: 202, json: { status: 'scheduled' } });
    expect(doomed).toMatchObject({ status: 202, json: { status: 'scheduled' } });
    expect(await editorCall('DELETE', doomed.json.id!)).toEqual({ status: 200, json: { id: doomed.json.id, status: 'cancelled' } });
    // Cancelled twice: it is gone.
    expect((await editorCall('DELETE', doomed.json.id!)).status).toBe(404);

    const arrived = await waitFor<Headline>(s, 'headline', 10_000);
    const receivedAt = Date.now();
    expect(arrived.text).toBe('embargoed results');
    expect(receivedAt).toBeGreaterThanOrEqual(Date.parse(embargo));
    expect(Date.parse(arrived.publishedAt)).toBeGreaterThanOrEqual(Date.parse(embargo));
    console.info(`embargo released ${receivedAt - Date.parse(embargo)} ms after its time`);
    // The cancelled one's time passed before the held one's: it would have come first.
    expect(rec.received.map((h) => h.text)).toEqual(['embargoed results']);
    expect(await stack.redis.client.hexists(stack.keys.current, doomed.json.id!)).toBe(0);
  });

  it('editors see what is scheduled, soonest first, by whom; nobody else does; cancelled ones leave it', async () => {
    const later = new Date(Date.now() + 60_000).toISOString();
    const sooner = new Date(Date.now() + 30_000).toISOString();
    const a = await postHeadline(stack.ticker.url, { text: 'later one', embargoUntil: later, topics: ['energy'], urgency: 'flash' });
    const b = await postHeadline(stack.ticker.url, { text: 'sooner one', embargoUntil: sooner });
    const list = async (token: string | null) => {
      const res = await fetch(`${stack.ticker.url}/api/headlines/scheduled`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      return {
        status: res.status,
        body: (await res.json()) as {
          scheduled?: { id: string; text: string; embargoUntil: string; editor: string; topics: string[]; urgency: string }[];
        },
      };
    };
    const ours = (await list(EDITOR_TOKEN)).body.scheduled!.filter((x) => x.id === a.json.id || x.id === b.json.id);
    expect(ours.map((x) => [x.id, x.text, x.editor])).toEqual([
      [b.json.id, 'sooner one', 'test-desk'],
      [a.json.id, 'later one', 'test-desk'],
    ]);
    expect(ours[1]).toMatchObject({ topics: ['energy'], urgency: 'flash' });
    // The job's due time, give or take the moment between the request and the queue's clock.
    expect(Math.abs(Date.parse(ours[0]!.embargoUntil) - Date.parse(sooner))).toBeLessThan(1000);
    expect((await list(null)).status).toBe(401);
    expect((await list(ALL_KEY)).status).toBe(401);
    expect((await editorCall('DELETE', a.json.id!)).json.status).toBe('cancelled');
    expect((await editorCall('DELETE', b.json.id!)).json.status).toBe('cancelled');
    const after = (await list(EDITOR_TOKEN)).body.scheduled!;
    expect(after.some((x) => x.id === a.json.id || x.id === b.json.id)).toBe(false);
  });
});
