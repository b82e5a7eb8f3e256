import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Headline } from '@headline-ticker/sdk/protocol';
import { ALL_KEY, EDITOR_TOKEN, WIDGET_KEY, WIDGET_ORIGIN } from '../helpers/config.js';
import { Recorder, connect, postHeadline, subscribeOk, type TestSocket } from '../helpers/clients.js';
import { useStack } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';

const hostile = JSON.parse(readFileSync(new URL('../fixtures/hostile-text.json', import.meta.url), 'utf8')) as {
  mustRenderAsText: string[];
  mustReject: Record<string, string>;
};
/** "REPEAT:x:301" in the fixture means 301 × "x". */
const expand = (s: string) => {
  const m = /^REPEAT:(.):(\d+)$/u.exec(s);
  return m ? m[1]!.repeat(Number(m[2])) : s;
};

let socket: TestSocket;
let recorder: Recorder;

const stack = useStack();

beforeAll(async () => {
  socket = await connect(stack.ticker.url, ALL_KEY);
  recorder = new Recorder(socket);
  await subscribeOk(socket, {});
});

afterAll(async () => {
  socket?.close();
});

describe('one flash end to end', () => {
  it('POST → worker → log → pub/sub → socket, every field, seq = ack seq + 1, exactly once', async () => {
    const probe = await connect(stack.ticker.url, ALL_KEY);
    const ack = await subscribeOk(probe, { topics: ['energy'] });
    const arrived = waitFor<Headline>(probe, 'headline');
    const before = Date.now();
    const res = await postHeadline(stack.ticker.url, {
      text: '  Gazprom   raises\tgas exports to China  ',
      summary: 'Deliveries via Power of Siberia hit a record.',
      url: 'https://wire.example.com/a/1',
      topics: ['Energy', 'russia', 'energy'],
      symbols: ['gazp'],
      urgency: 'flash',
      lang: 'en',
    });
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ id: expect.any(String), status: 'queued' });
    const h = await arrived;
    const latencyMs = Date.now() - before;
    expect(h).toEqual({
      id: res.json.id,
      seq: ack.seq + 1,
      version: 1,
      status: 'published',
      text: 'Gazprom raises gas exports to China',
      summary: 'Deliveries via Power of Siberia hit a record.',
      url: 'https://wire.example.com/a/1',
      topics: ['energy', 'russia'],
      symbols: ['GAZP'],
      urgency: 'flash',
      lang: 'en',
      source: 'desk',
      publishedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/u),
      updatedAt: h.publishedAt,
    });
    // Exactly once: a later headline arrives, and nothing else came in between.
    const marker = waitFor<Headline>(probe, 'headline');
    await postHeadline(stack.ticker.url, { text: 'marker', topics: ['energy'] });
    expect((await marker).seq).toBe(h.seq + 1);
    probe.close();
    // Recorded, not asserted: speed is measured by `npm run bench`.
    console.info(`POST → socket on loopback: ${latencyMs} ms`);
  });

  it('a new subscriber gets the latest matching headlines and the seq they are complete to', async () => {
    const late = await connect(stack.ticker.url, ALL_KEY);
    const ack = await subscribeOk(late, { topics: ['energy'], limit: 1 });
    expect(ack.headlines).toHaveLength(1);
    expect(ack.headlines[0]!.text).toBe('marker');
    expect(ack.seq).toBe(await stack.currentSeq());
    late.close();
  });

  it('carries hostile text as plain text, unchanged but for whitespace and bidi controls', async () => {
    const start = recorder.received.length;
    for (const text of hostile.mustRenderAsText) {
      expect((await postHeadline(stack.ticker.url, { text })).status).toBe(202);
    }
    await recorder.count(start + hostile.mustRenderAsText.length);
    // Bidi controls are stripped (they would reorder the text around them); see docs/protocol.md.
    const expected = hostile.mustRenderAsText.map((t) =>
      t
        .replace(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu, '')
        .replace(/\s+/gu, ' ')
        .trim(),
    );
    expect(recorder.received.slice(start).map((h) => h.text)).toEqual(expected);
  });
});

describe('bad input is refused with a clear error and publishes nothing', () => {
  const r = hostile.mustReject;
  const cases: [string, () => Promise<{ status: number; json: { error?: { code: string; message: string } } }>, number, string][] = [
    ['empty text', () => postHeadline(stack.ticker.url, { text: r['emptyText']! }), 400, 'bad_request'],
    ['whitespace text', () => postHeadline(stack.ticker.url, { text: r['whitespaceText']! }), 400, 'bad_request'],
    ['text over 300 characters', () => postHeadline(stack.ticker.url, { text: expand(r['tooLongText']!) }), 400, 'bad_request'],
    ['javascript: URL', () => postHeadline(stack.ticker.url, { text: 'ok', url: r['javascriptUrl']! }), 400, 'bad_request'],
    ['data: URL', () => postHeadline(stack.ticker.url, { text: 'ok', url: r['dataUrl']! }), 400, 'bad_request'],
    ['bad urgency', () => postHeadline(stack.ticker.url, { text: 'ok', urgency: r['badUrgency']! }), 400, 'bad_request'],
    ['topic that is not a slug', () => postHeadline(stack.ticker.url, { text: 'ok', topics: [r['badTopic']!] }), 400, 'bad_request'],
    ['unknown field', () => postHeadline(stack.ticker.url, { text: 'ok', urgancy: 'flash' }), 400, 'bad_request'],
    ['broken JSON', () => postHeadline(stack.ticker.url, r['notJson']!), 400, 'bad_request'],
    ['body over 64 KiB', () => postHeadline(stack.ticker.url, { text: expand(r['hugeBody']!) }), 413, 'payload_too_large'],
    ['no token', () => postHeadline(stack.ticker.url, { text: 'ok' }, null), 401, 'unauthorized'],
    ['wrong token', () => postHeadline(stack.ticker.url, { text: 'ok' }, 'ed_wrong_token'), 401, 'unauthorized'],
    ['an API key instead of an editor token', () => postHeadline(stack.ticker.url, { text: 'ok' }, ALL_KEY), 401, 'unauthorized'],
  ];

  it.each(cases)('%s', async (_name, send, status, code) => {
    const seqBefore = await stack.currentSeq();
    const jobsBefore = await stack.redis.client.keys(stack.keys.queue('ingest', 'pub-*'));
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.json.error?.code).toBe(code);
    expect(res.json.error?.message).toEqual(expect.any(String));
    expect(await stack.redis.client.keys(stack.keys.queue('ingest', 'pub-*'))).toEqual(jobsBefore);
    expect(await stack.currentSeq()).toBe(seqBefore);
  });

  it('a bad body lists the zod issues with their paths', async () => {
    const res = await postHeadline(stack.ticker.url, { text: '', url: 'javascript:alert(1)' });
    expect(res.status).toBe(400);
    expect(res.json.error?.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'text' }), expect.objectContaining({ path: 'url' })]),
    );
  });

  it('a second valid POST still works after all that (the process never crashed)', async () => {
    const res = await postHeadline(stack.ticker.url, { text: 'still here' });
    expect(res.status).toBe(202);
    expect(await fetch(`${stack.ticker.url}/healthz`).then((r) => r.status)).toBe(200);
  });
});

describe('socket handshake and subscribe', () => {
  it('an unknown key gets connect_error "unauthorized"', async () => {
    await expect(connect(stack.ticker.url, 'sdk_nobody')).rejects.toThrow('unauthorized');
    await expect(connect(stack.ticker.url, '')).rejects.toThrow('unauthorized');
  });

  it('a widget key works only from its bound origin', async () => {
    await expect(connect(stack.ticker.url, WIDGET_KEY, { origin: 'https://evil.example' })).rejects.toThrow('unauthorized');
    await expect(connect(stack.ticker.url, WIDGET_KEY)).rejects.toThrow('unauthorized');
    const ok = await connect(stack.ticker.url, WIDGET_KEY, { origin: WIDGET_ORIGIN });
    expect(ok.connected).toBe(true);
    ok.close();
  });

  it('a bad subscribe gets { ok: false, error } and the socket stays usable', async () => {
    const s = await connect(stack.ticker.url, ALL_KEY);
    const bad = await s.timeout(5000).emitWithAck('subscribe', { topics: ['Not A Slug!'] });
    expect(bad).toEqual({
      ok: false,
      error: { code: 'bad_request', message: expect.stringContaining('topics'), details: expect.any(Array) },
    });
    const bad2 = await s.timeout(5000).emitWithAck('subscribe', { since: -1 });
    expect(bad2.ok).toBe(false);
    const ahead = await s.timeout(5000).emitWithAck('subscribe', { since: (await stack.currentSeq()) + 1000 });
    expect(ahead).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    const good = await subscribeOk(s, { limit: 0 });
    expect(good.seq).toBe(await stack.currentSeq());
    s.close();
  });

  it('history: GET /api/headlines with a key, filtered, with since', async () => {
    const seq = await stack.currentSeq();
    const res = await fetch(`${stack.ticker.url}/api/headlines?topics=energy&limit=5`, { headers: { authorization: `Bearer ${ALL_KEY}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { headlines: Headline[]; seq: number };
    expect(body.seq).toBe(seq);
    expect(body.headlines.map((h) => h.text)).toEqual(['Gazprom raises gas exports to China', 'marker']);
    const since = await fetch(`${stack.ticker.url}/api/headlines?since=${seq - 1}&key=${ALL_KEY}`).then(
      (r) => r.json() as Promise<{ headlines: Headline[] }>,
    );
    expect(since.headlines.map((h) => h.seq)).toEqual([seq]);
    expect((await fetch(`${stack.ticker.url}/api/headlines`)).status).toBe(401);
    expect((await fetch(`${stack.ticker.url}/api/headlines?key=${EDITOR_TOKEN}`)).status).toBe(401);
    expect((await fetch(`${stack.ticker.url}/api/headlines?key=${ALL_KEY}&limit=0`)).status).toBe(400);
  });

  it('readyz is 200 while Redis answers', async () => {
    expect((await fetch(`${stack.ticker.url}/readyz`)).status).toBe(200);
  });
});
