// Licence usage of Server-Sent Events streams (GET /api/stream): an open stream is a connection
// like a socket (viewers now, peak, connects, per licensed origin for widget keys) and each live
// headline written to it is a delivery. Two gateways on one Redis; flushes driven by the test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningTicker } from '../../server/src/ticker.js';
import type { KeyUsage, UsageReport } from '../../server/src/usage/usage-report.js';
import { postHeadline } from '../helpers/clients.js';
import { ALL_KEY, EDITOR_TOKEN, WIDGET_KEY, WIDGET_ORIGIN, testConfig } from '../helpers/config.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { startInProcess } from '../helpers/stack.js';
import { until } from '../helpers/wait.js';

const ADMIN_TOKEN = 'ed_stream_usage_admin';
const SECOND_ORIGIN = 'http://second.test';
const config = testConfig({
  editors: [
    { name: 'desk', token: EDITOR_TOKEN },
    { name: 'licensing', token: ADMIN_TOKEN, admin: true },
  ],
  keys: [
    { key: ALL_KEY, name: 'Acme Trading', topics: ['*'] },
    { key: WIDGET_KEY, name: 'Example widget', topics: ['*'], origins: [WIDGET_ORIGIN, SECOND_ORIGIN] },
  ],
  usage: { flushSeconds: 60 },
});

/** One SSE stream read with fetch: the texts of the headlines it was sent, in order. */
interface OpenStream {
  texts: string[];
  close: () => void;
}

async function openStream(t: RunningTicker, key: string, headers: Record<string, string>, query = ''): Promise<OpenStream> {
  const ctl = new AbortController();
  // fetch resolves once the headers are out: the stream is admitted (and counted) by then
  const res = await fetch(`${t.url}/api/stream?key=${key}${query}`, { headers, signal: ctl.signal });
  expect(res.status).toBe(200);
  const texts: string[] = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = /^data: (.*)$/mu.exec(block)?.[1];
        if (/^event: headline$/mu.test(block) && data !== undefined) texts.push((JSON.parse(data) as { text: string }).text);
      }
    }
  })().catch(() => undefined); // aborted by close()
  return { texts, close: () => ctl.abort() };
}

let redis: TestRedis;
let a: RunningTicker;
let b: RunningTicker;
const streams: OpenStream[] = [];

const flushBoth = async () => {
  await a.usage!.flush();
  await b.usage!.flush();
};

async function report(t: RunningTicker): Promise<UsageReport> {
  const res = await fetch(`${t.url}/api/usage`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as UsageReport;
}

const keyIn = (r: UsageReport, name: string): KeyUsage => {
  const k = r.keys.find((x) => x.name === name);
  if (!k) throw new Error(`no key ${name}`);
  return k;
};

async function streamsOpen(t: RunningTicker): Promise<number> {
  const text = await (await fetch(`${t.url}/metrics`)).text();
  return Number(/^ticker_streams_open (\d+)/mu.exec(text)?.[1] ?? NaN);
}

beforeAll(async () => {
  redis = await startTestRedis();
  a = await startInProcess(redis.url, { config });
  b = await startInProcess(redis.url, { config });
});

afterAll(async () => {
  for (const s of streams) s.close();
  await a?.close();
  await b?.close();
  await redis?.stop();
});

describe('SSE streams in licence usage, across two gateways', () => {
  const N = 3; // widget streams from a licensed origin: 2 on a, 1 on b
  const M = 2; // API-key streams taking everything: 1 on a, 1 on b
  const K = 4; // live headlines

  it('open streams count as viewers now, at the peak and as connects; per licensed origin for widget keys', async () => {
    // headlines from before: the streams' first snapshot carries them, which is not a delivery
    for (const text of ['before 1', 'before 2']) expect((await postHeadline(a.url, { text, topics: ['energy'] })).status).toBe(202);
    // ...once both gateways have relayed them (else one would come to a new stream live)
    let seq = -1;
    await until(async () => {
      const h = (await (await fetch(`${a.url}/api/headlines?key=${ALL_KEY}`)).json()) as { headlines: unknown[]; seq: number };
      seq = h.seq;
      return h.headlines.length === 2;
    }, 'both headlines are in the log');
    await until(() => a.gateway!.horizon(0) >= seq && b.gateway!.horizon(0) >= seq, 'both gateways relayed them');
    const widget = { origin: WIDGET_ORIGIN };
    streams.push(
      await openStream(a, WIDGET_KEY, widget),
      await openStream(a, WIDGET_KEY, widget),
      await openStream(b, WIDGET_KEY, widget),
      await openStream(a, ALL_KEY, {}),
      await openStream(b, ALL_KEY, {}),
      // an API-key stream whose filter matches none of the live headlines
      await openStream(b, ALL_KEY, {}, '&topics=sports'),
    );
    await flushBoth();
    for (const t of [a, b]) {
      const body = await report(t);
      const w = keyIn(body, 'Example widget');
      const sdk = keyIn(body, 'Acme Trading');
      expect([w.viewersNow, w.peakViewers, w.connects]).toEqual([N, N, N]);
      expect([sdk.viewersNow, sdk.peakViewers, sdk.connects]).toEqual([M + 1, M + 1, M + 1]);
      const perOrigin = Object.fromEntries(w.origins.map((o) => [o.origin, [o.viewersNow, o.peakViewers, o.connects]]));
      expect(perOrigin).toEqual({ [WIDGET_ORIGIN]: [N, N, N], [SECOND_ORIGIN]: [0, 0, 0] });
    }
    const metrics = await (await fetch(`${a.url}/metrics`)).text();
    expect(metrics).toMatch(/ticker_usage_viewers\{key="Example widget"\} 2/u);
    expect(metrics).toMatch(/ticker_usage_viewers\{key="Acme Trading"\} 1/u);
  });

  it('each live headline written to a stream is one delivery; the first snapshot and filtered-out events are not', async () => {
    const [w1, w2, w3, s1, s2, idle] = streams as [OpenStream, OpenStream, OpenStream, OpenStream, OpenStream, OpenStream];
    for (const s of [w1, w2, w3, s1, s2]) await until(() => s.texts.length >= 2, 'a stream got its first snapshot');
    for (const s of [w1, w2, w3, s1, s2]) expect(s.texts).toEqual(['before 1', 'before 2']);
    // and no Redis call for usage per delivery: counted in memory until a flush
    const monitor = await redis.client.monitor();
    const usageCalls: string[] = [];
    const seen = new Set<string>();
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toLowerCase() === 'echo') seen.add(args[1]!);
      if (args.some((x) => x.includes(':usage:'))) usageCalls.push(args.join(' '));
    });
    const settled = async () => {
      const marker = `settled-${Math.random()}`;
      await redis.client.echo(marker);
      await until(() => seen.has(marker), 'the monitor caught up');
    };
    try {
      await settled();
      for (let i = 0; i < K; i++) expect((await postHeadline(a.url, { text: `live ${i}`, topics: ['energy'] })).status).toBe(202);
      for (const s of [w1, w2, w3, s1, s2]) await until(() => s.texts.length >= 2 + K, 'a stream got the live headlines');
      await settled();
      expect(usageCalls).toEqual([]);
    } finally {
      monitor.disconnect();
    }
    const live = Array.from({ length: K }, (_, i) => `live ${i}`);
    for (const s of [w1, w2, w3, s1, s2]) expect(s.texts.slice(2)).toEqual(live);
    expect(idle.texts).toEqual([]);
    await flushBoth();
    const body = await report(b);
    const w = keyIn(body, 'Example widget');
    expect(w.deliveries).toBe(K * N);
    expect(w.origins.find((o) => o.origin === WIDGET_ORIGIN)!.deliveries).toBe(K * N);
    expect(keyIn(body, 'Acme Trading').deliveries).toBe(K * M);
  });

  it('a closed stream is no longer a viewer; the peak and connects stay', async () => {
    for (const s of streams) s.close();
    await until(async () => (await streamsOpen(a)) === 0 && (await streamsOpen(b)) === 0, 'both gateways saw the streams go');
    await flushBoth();
    const body = await report(a);
    const w = keyIn(body, 'Example widget');
    const sdk = keyIn(body, 'Acme Trading');
    expect([w.viewersNow, w.peakViewers, w.connects]).toEqual([0, N, N]);
    expect([sdk.viewersNow, sdk.peakViewers, sdk.connects]).toEqual([0, M + 1, M + 1]);
    expect(w.origins.find((o) => o.origin === WIDGET_ORIGIN)!.viewersNow).toBe(0);
  });
});
