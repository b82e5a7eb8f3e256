// The feed epoch on GET /api/stream. When a gateway finds that Redis lost events (here: a flush,
// the feed starts again at seq 1) it starts a new epoch; numbers are then handed out again.
// An SSE stream must not carry on in the old numbering, nor end and leave EventSource to
// reconnect with a Last-Event-ID from the old feed (which, once the new feed is past it, would
// be answered with a plain replay that silently skips the new feed's first events). It gets a
// `reset` with the new epoch and an `id` in the new numbering, and goes on in it.
import { afterAll, describe, expect, it } from 'vitest';
import type { HistoryResponse } from '@headline-ticker/sdk/protocol';
import { ALL_KEY } from '../helpers/config.js';
import { postHeadline } from '../helpers/clients.js';
import { usePrivateStack } from '../helpers/harness.js';
import { openSse, sseHeadlines, type SseStreamHandle } from '../helpers/sse-fetch.js';

const stack = usePrivateStack();
const streams: SseStreamHandle[] = [];

afterAll(() => {
  for (const s of streams) s.close();
});

const epochNow = async (): Promise<string> => {
  const res = await fetch(`${stack.ticker.url}/api/headlines?limit=1`, { headers: { authorization: `Bearer ${ALL_KEY}` } });
  return ((await res.json()) as HistoryResponse).epoch!;
};

describe('an SSE stream when the feed starts a new epoch', () => {
  it('gets a reset in the new numbering and goes on in it; the reset id is a valid Last-Event-ID', async () => {
    const url = `${stack.ticker.url}/api/stream?key=${ALL_KEY}&limit=0`;
    const stream = await openSse(url);
    streams.push(stream);
    expect(stream.status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await postHeadline(stack.ticker.url, { text: `before ${i}` })).status).toBe(202);
    await stream.until((e) => sseHeadlines(e).length === 5, 'five headlines before the loss');
    const oldEpoch = await epochNow();

    await stack.redis.client.flushall();
    const events = await stream.until((e) => e.some((x) => x.event === 'reset'), 'a reset', 20_000);
    const reset = events.find((e) => e.event === 'reset')!;
    const data = JSON.parse(reset.data) as { seq: number; reason: string; epoch?: string };
    expect(data.reason).toBe('feed_restarted');
    expect(reset.id).toBe(String(data.seq));
    expect(data.epoch).toEqual(expect.any(String));
    expect(data.epoch).not.toBe(oldEpoch);
    // Still open: no goodbye, the stream goes on in the new numbering.
    expect(events.some((e) => e.event === 'bye')).toBe(false);

    // More than the client had seen before, so the old numbers are handed out again.
    for (let i = 0; i < 7; i++) expect((await postHeadline(stack.ticker.url, { text: `after ${i}` })).status).toBe(202);
    const after = () => sseHeadlines(stream.events.slice(stream.events.indexOf(reset) + 1));
    await stream.until(() => after().length === 7, 'the new feed on the same stream', 20_000);
    expect(after().map((h) => [h.seq, h.text])).toEqual(Array.from({ length: 7 }, (_, i) => [data.seq + i + 1, `after ${i}`]));
    expect(await epochNow()).toBe(data.epoch);

    // EventSource's reconnect sends the last id it saw: the reset's, or a headline's after it.
    // Both are positions in the new feed: the resume misses nothing and doubles nothing.
    const resumed = await openSse(url, { 'last-event-id': reset.id! });
    streams.push(resumed);
    await resumed.until((e) => sseHeadlines(e).length === 7, 'the replay after the reset id');
    expect(sseHeadlines(resumed.events).map((h) => h.text)).toEqual(Array.from({ length: 7 }, (_, i) => `after ${i}`));
  }, 60_000);
});
