// Feeds end to end: a local HTTP server serves RSS/Atom, the worker polls it, and the items
// come out of the real stack (queue → worker → log → pub/sub → socket) as headlines.
import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import type { Headline } from '@headline-ticker/sdk/protocol';
import { parseTickerConfig, type TickerConfig } from '../../server/src/config/ticker-config.js';
import type { RunningTicker } from '../../server/src/ticker.js';
import { AuditLog } from '../../server/src/log/audit-log.js';
import { FeedLog } from '../../server/src/log/feed-log.js';
import { parseFeedDate } from '../../server/src/sources/feed-date.js';
import { FeedMemory } from '../../server/src/sources/feed-memory.js';
import { FEED_USER_AGENT } from '../../server/src/sources/feed-fetch.js';
import { FeedPoller } from '../../server/src/sources/feed-poller.js';
import { decodeFeed } from '../../server/src/sources/feed-charset.js';
import { parseFeed } from '../../server/src/sources/parse-feed.js';
import { IngestQueue } from '../../server/src/ingest/ingest-queue.js';
import { createLogger } from '../../server/src/logger.js';
import { Recorder, connect, postHeadline, subscribeOk } from '../helpers/clients.js';
import { ALL_KEY, EDITOR_TOKEN, WIDGET_KEY, WIDGET_ORIGIN } from '../helpers/config.js';
import { FeedServer } from '../helpers/feed-server.js';
import { useStack } from '../helpers/harness.js';
import { createFeedMetrics } from '../../server/src/sources/feed-metrics.js';
import { until } from '../helpers/wait.js';

const FIXTURES = new URL('../fixtures/', import.meta.url);
const WIRE_RSS = readFileSync(new URL('wire-feed.rss', FIXTURES), 'utf8');
const WIRE_ATOM = readFileSync(new URL('wire-feed.atom', FIXTURES), 'utf8');
/** pubDate of each fixture item by link, read with a regex so the test does not lean on the parser */
const wireDates = new Map(
  [...WIRE_RSS.matchAll(/<link>([^<]+)<\/link>\s*<guid[^>]*>[^<]*<\/guid>\s*<pubDate>([^<]+)<\/pubDate>/gu)].map((m) => [
    m[1]!,
    new Date(m[2]!).toISOString(),
  ]),
);

let server: FeedServer;

const feed = (name: string, path: string, extra: Record<string, unknown> = {}) => ({
  name,
  url: server.url(path),
  intervalSeconds: 3600,
  topics: [name],
  ...extra,
});

function configWith(feeds: unknown[]): TickerConfig {
  return parseTickerConfig(
    {
      editors: [{ name: 'test-desk', token: EDITOR_TOKEN }],
      keys: [
        { key: ALL_KEY, name: 'all topics', topics: ['*'] },
        { key: WIDGET_KEY, name: 'widget', topics: ['*'], origins: [WIDGET_ORIGIN] },
      ],
      feeds,
    },
    '(feeds test)',
  );
}

const baseFeeds = () => [
  feed('wire-rss', '/wire.rss', { symbols: ['WIRE'], urgency: 'urgent' }),
  feed('wire-atom', '/wire.atom'),
  feed('cond', '/cond.rss'),
  feed('broken', '/broken.rss'),
  feed('failing', '/failing.rss'),
  feed('looping', '/loop-a'),
  feed('hanging', '/hang'),
];

const start = (config: TickerConfig) => stack.startTicker({ config, role: 'all', feedLimits: { timeoutMs: 2000 } });

/** Every headline event of `topic` so far and live, until there are `n`. */
async function headlinesFor(topic: string, n: number): Promise<Headline[]> {
  const socket = await connect(ticker.url, ALL_KEY);
  try {
    const recorder = new Recorder(socket);
    const ack = await subscribeOk(socket, { topics: [topic], since: 0, limit: 500 });
    if (ack.headlines.length < n) await recorder.count(n - ack.headlines.length);
    return [...ack.headlines, ...recorder.received];
  } finally {
    socket.close();
  }
}

/**
 * Runs `action`, then a desk marker on the same topic: the marker must be the next event, so
 * whatever `action` did put nothing in the log for that topic (the queue is first in, first out).
 */
async function expectNothingNew(topic: string, action: () => Promise<void>): Promise<void> {
  const socket = await connect(ticker.url, ALL_KEY);
  try {
    const recorder = new Recorder(socket);
    await subscribeOk(socket, { topics: [topic], limit: 0 });
    await action();
    const res = await postHeadline(ticker.url, { text: `marker for ${topic}`, topics: [topic] });
    expect(res.status).toBe(202);
    const [first] = await recorder.count(1);
    expect(first).toMatchObject({ id: res.json.id, text: `marker for ${topic}` });
  } finally {
    socket.close();
  }
}

/** The file's ticker's count of failed polls, as its /metrics says (feed metrics live on its registry). */
const failures = async (feedName: string, reason: string): Promise<number> => {
  const text = await (await fetch(`${ticker.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`ticker_feed_failures_total{feed="${feedName}",reason="${reason}"}`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
};

const withNewItem = (rss: string, guid: string, title: string, pubDate: string) =>
  rss.replace(
    '<language>en</language>',
    `<language>en</language>
    <item><title>${title}</title><link>https://wire.example.com/news/${guid}</link>
      <guid isPermaLink="false">${guid}</guid><pubDate>${pubDate}</pubDate></item>`,
  );

let ticker: RunningTicker;
const stack = useStack({ ticker: false });

beforeAll(async () => {
  server = await new FeedServer().start();
  server.set('/wire.rss', { kind: 'feed', body: WIRE_RSS });
  server.set('/wire.atom', { kind: 'feed', body: WIRE_ATOM, contentType: 'application/atom+xml' });
  server.set('/cond.rss', { kind: 'feed', body: WIRE_RSS, etag: '"v1"', lastModified: 'Sat, 14 Dec 2019 19:00:00 GMT' });
  // Cut off inside its first item: nothing intact to recover (a later cut keeps the items before it).
  server.set('/broken.rss', { kind: 'feed', body: WIRE_RSS.slice(0, WIRE_RSS.indexOf('</item>')) });
  server.set('/failing.rss', { kind: 'status', status: 500 });
  server.set('/loop-a', { kind: 'redirect', to: '/loop-b' });
  server.set('/loop-b', { kind: 'redirect', to: '/loop-a' });
  server.set('/hang', { kind: 'hang' });
  ticker = await start(configWith(baseFeeds()));
});

afterAll(async () => {
  await server?.stop();
});

describe('a feed becomes headlines, once each', () => {
  let first: Headline[] = [];

  it('RSS items become headlines with their own times, the feed’s topics, oldest first', async () => {
    const result = await ticker.feeds!.pollNow('wire-rss');
    expect(result.outcome).toBe('ingested');
    first = await headlinesFor('wire-rss', 10);
    expect(first).toHaveLength(10);
    expect(new Set(first.map((h) => h.id)).size).toBe(10);
    for (const h of first) {
      expect(h).toMatchObject({
        version: 1,
        status: 'published',
        topics: ['wire-rss'],
        symbols: ['WIRE'],
        urgency: 'urgent',
        source: 'wire-rss',
        lang: 'en',
      });
      expect(h.publishedAt).toBe(wireDates.get(h.url!));
    }
    expect(first.map((h) => h.publishedAt)).toEqual([...first.map((h) => h.publishedAt)].sort());
    expect(first.at(-1)!.text).toBe(
      'Rosprirodnadzor asks Sisim LLC to pay 300 mln rubles in compensation for damage to Siberian rivers caused by dam failures across gold mine',
    );
  });

  it('a re-poll publishes nothing', async () => {
    await expectNothingNew('wire-rss', async () => {
      expect(await ticker.feeds!.pollNow('wire-rss')).toMatchObject({ outcome: 'ingested', published: 0, corrected: 0 });
    });
  });

  it('a new item appears once', async () => {
    server.set('/wire.rss', {
      kind: 'feed',
      body: withNewItem(WIRE_RSS, 'wire-1010', 'Brent &amp;amp; WTI climb', 'Sat, 14 Dec 2019 19:30:00 +0000'),
    });
    const socket = await connect(ticker.url, ALL_KEY);
    const recorder = new Recorder(socket);
    await subscribeOk(socket, { topics: ['wire-rss'], limit: 0 });
    expect(await ticker.feeds!.pollNow('wire-rss')).toMatchObject({ published: 1, corrected: 0 });
    const [h] = await recorder.count(1);
    socket.close();
    expect(h).toMatchObject({ text: 'Brent & WTI climb', version: 1, publishedAt: '2019-12-14T19:30:00.000Z' });
    await expectNothingNew('wire-rss', async () => {
      expect(await ticker.feeds!.pollNow('wire-rss')).toMatchObject({ published: 0, corrected: 0 });
    });
  });

  it('a changed title under the same guid becomes a correction of the same headline', async () => {
    const original = first.find((h) => h.url === 'https://wire.example.com/news/1003')!;
    server.set('/wire.rss', {
      kind: 'feed',
      body: withNewItem(WIRE_RSS, 'wire-1010', 'Brent &amp;amp; WTI climb', 'Sat, 14 Dec 2019 19:30:00 +0000').replace(
        'No breakthrough at Normandy summit - Peskov',
        'No breakthrough at Normandy summit, Peskov says',
      ),
    });
    const socket = await connect(ticker.url, ALL_KEY);
    const recorder = new Recorder(socket);
    await subscribeOk(socket, { topics: ['wire-rss'], limit: 0 });
    expect(await ticker.feeds!.pollNow('wire-rss')).toMatchObject({ published: 0, corrected: 1 });
    const [h] = await recorder.count(1);
    socket.close();
    expect(h).toMatchObject({
      id: original.id,
      version: 2,
      status: 'corrected',
      text: 'No breakthrough at Normandy summit, Peskov says',
      publishedAt: original.publishedAt,
    });
    await expectNothingNew('wire-rss', async () => {
      expect(await ticker.feeds!.pollNow('wire-rss')).toMatchObject({ published: 0, corrected: 0 });
    });
  });

  it('Atom entries become headlines with their published times', async () => {
    await ticker.feeds!.pollNow('wire-atom');
    const atom = await headlinesFor('wire-atom', 10);
    expect(atom).toHaveLength(10);
    for (const h of atom) {
      expect(h).toMatchObject({ topics: ['wire-atom'], symbols: [], urgency: 'routine', source: 'wire-atom' });
      expect(h.publishedAt).toBe(wireDates.get(h.url!));
    }
  });

  it('a worker that died between queueing items and remembering them publishes nothing twice', async () => {
    const before = await headlinesFor('wire-atom', 10);
    // As if the poll had queued every item and died before writing its memory.
    await stack.redis.client.del(stack.keys.source('wire-atom', 'items'));
    await expectNothingNew('wire-atom', async () => {
      expect((await ticker.feeds!.pollNow('wire-atom')).outcome).toBe('ingested');
    });
    // The memory is rebuilt with the headlines that already exist.
    const remembered = Object.values(await stack.redis.client.hgetall(stack.keys.source('wire-atom', 'items'))).map((v) => v.split(' ')[0]);
    expect(remembered.sort()).toEqual(before.map((h) => h.id).sort());
  });

  it('conditional GET: a 304 adds nothing, and the request carried the validators and the User-Agent', async () => {
    expect((await ticker.feeds!.pollNow('cond')).outcome).toMatch(/^(ingested|not_modified)$/u);
    await headlinesFor('cond', 10);
    await expectNothingNew('cond', async () => {
      expect(await ticker.feeds!.pollNow('cond')).toMatchObject({ outcome: 'not_modified', published: 0 });
    });
    const last = server.requestsFor('/cond.rss').at(-1)!;
    expect(last['if-none-match']).toBe('"v1"');
    expect(last['if-modified-since']).toBe('Sat, 14 Dec 2019 19:00:00 GMT');
    expect(last['user-agent']).toBe(FEED_USER_AGENT);
  });
});

describe('failing feeds hurt nothing', () => {
  it('broken XML, HTTP 500, a redirect loop and a hanging server: failed with a reason, counted, no headline', async () => {
    const cases = [
      ['broken', 'invalid_xml'],
      ['failing', 'http_status'],
      ['looping', 'redirect_loop'],
      ['hanging', 'timeout'],
    ] as const;
    for (const [name, reason] of cases) {
      // Polls of one feed run one after another: once this returns, the scheduled first poll
      // (started with the ticker) is over too, and the count below moves only by ours.
      await ticker.feeds!.pollNow(name);
      const before = await failures(name, reason);
      await expectNothingNew(name, async () => {
        expect(await ticker.feeds!.pollNow(name)).toMatchObject({ outcome: 'failed', reason, published: 0 });
      });
      expect(await failures(name, reason)).toBe(before + 1);
      expect(Number(await stack.redis.client.hget(stack.keys.source(name, 'state'), 'failures'))).toBeGreaterThanOrEqual(1);
    }
    // The others still ingest, and the process still serves.
    server.set('/wire.atom', {
      kind: 'feed',
      body: WIRE_ATOM.replace(
        '<entry>',
        '<entry><title>Late entry</title><link href="https://wire.example.com/news/2000"/><id>urn:wire:2000</id><published>2019-12-14T20:00:00Z</published></entry><entry>',
      ),
    });
    const socket = await connect(ticker.url, ALL_KEY);
    const recorder = new Recorder(socket);
    await subscribeOk(socket, { topics: ['wire-atom'], limit: 0 });
    expect(await ticker.feeds!.pollNow('wire-atom')).toMatchObject({ outcome: 'ingested', published: 1 });
    expect((await recorder.count(1))[0]).toMatchObject({ text: 'Late entry', publishedAt: '2019-12-14T20:00:00.000Z' });
    socket.close();
    expect((await fetch(`${ticker.url}/healthz`)).status).toBe(200);
  });

  it('backs off after failures, and a success resets it', async () => {
    const keys = stack.keys;
    const log = new FeedLog(stack.redis.client, keys, { maxEvents: 1000, minAgeSeconds: 0 });
    const audit = new AuditLog(stack.redis.client, keys);
    const ingest = new IngestQueue({ connection: stack.redis.client, log, keys, audit, prefix: keys.queuePrefix });
    const poller = new FeedPoller({
      ingest,
      log,
      memory: new FeedMemory(stack.redis.client, stack.prefix),
      logger: createLogger('silent'),
      metrics: createFeedMetrics(new Registry()),
      limits: { timeoutMs: 2000 },
    });
    const flaky = configWith([feed('flaky', '/flaky.rss')]).feeds[0]!;
    try {
      server.set('/flaky.rss', { kind: 'status', status: 503 });
      expect((await poller.poll(flaky)).outcome).toBe('failed');
      const seen = server.requestsFor('/flaky.rss').length;
      // The next scheduled poll is skipped without a request…
      expect((await poller.poll(flaky)).outcome).toBe('backoff');
      expect(server.requestsFor('/flaky.rss')).toHaveLength(seen);
      // …a forced one still goes out and counts a second failure in a row.
      expect((await poller.poll(flaky, { force: true })).outcome).toBe('failed');
      expect(await stack.redis.client.hget(stack.keys.source('flaky', 'state'), 'failures')).toBe('2');
      server.set('/flaky.rss', { kind: 'feed', body: WIRE_RSS.replace(/wire-10/gu, 'flaky-10') });
      expect(await poller.poll(flaky, { force: true })).toMatchObject({ outcome: 'ingested', published: 10 });
      expect(await stack.redis.client.exists(stack.keys.source('flaky', 'state'))).toBe(0);
      expect((await poller.poll(flaky)).outcome).toBe('ingested');
    } finally {
      await ingest.close();
    }
  });
});

describe('reload and restart', () => {
  const REAL = new URL('real-feeds/', FIXTURES);
  const realFiles = readdirSync(REAL).filter((f) => /\.(rss|atom)$/u.test(f));
  const slug = (file: string) =>
    `real-${file
      .replace(/\.(rss|atom)$/u, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/gu, '-')}`;
  let reloaded: TickerConfig;

  it('a reload adds feeds (polled at once by their schedule), changes and removes them', async () => {
    server.set('/late.rss', { kind: 'feed', body: WIRE_RSS });
    for (const file of realFiles) {
      // As servers send them: uolNoticias with no charset anywhere, the others as they are.
      server.set(`/${file}`, { kind: 'feed', body: readFileSync(new URL(file, REAL)), contentType: 'application/xml' });
    }
    reloaded = configWith([
      ...baseFeeds()
        .filter((f) => f.name !== 'broken')
        .map((f) => (f.name === 'wire-rss' ? { ...f, intervalSeconds: 1800 } : f)),
      feed('late', '/late.rss'),
      ...realFiles.map((f) => feed(slug(f), `/${f}`)),
    ]);
    await ticker.reload(reloaded);
    const everyOf = new Map((await ticker.feeds!.queue.getJobSchedulers(0, -1)).map((s) => [s.key, s.every]));
    expect(everyOf.get('feed-late')).toBe(3_600_000);
    expect(everyOf.get('feed-wire-rss')).toBe(1_800_000);
    expect(everyOf.has('feed-broken')).toBe(false);
    await expect(ticker.feeds!.pollNow('broken')).rejects.toThrow(/no feed named/u);
    // No pollNow: the new schedule's first run polls it.
    const late = await headlinesFor('late', 10);
    expect(late.map((h) => h.source)).toEqual(Array(10).fill('late'));
  });

  it.each(realFiles)('real feed %s ingests every titled item, readable, with its own time', async (file) => {
    const bytes = readFileSync(new URL(file, REAL));
    // Counted from the raw bytes, not by the parser: opening <item>/<entry> tags.
    const raw = bytes.toString('latin1');
    const tagCount = (raw.match(/<item[\s>]/gu)?.length ?? 0) + (raw.match(/<entry[\s>]/gu)?.length ?? 0);
    const parsed = parseFeed(decodeFeed(bytes).text);
    expect(parsed.items).toHaveLength(tagCount);
    const titled = parsed.items.filter((i) => i.text !== null);
    await ticker.feeds!.pollNow(slug(file));
    if (titled.length === 0) {
      await expectNothingNew(slug(file), async () => {
        await ticker.feeds!.pollNow(slug(file));
      });
      return;
    }
    const got = await headlinesFor(slug(file), titled.length);
    expect(got).toHaveLength(titled.length);
    expect(got.map((h) => h.text).sort()).toEqual(titled.map((i) => i.text).sort());
    for (const h of got) {
      expect(h.text).not.toMatch(/Ã[\u0080-\u00bf]|â€|\ufffd|&(?:[a-z]+|#x?[0-9a-f]+);|<\/?[a-z][^>]*>/iu);
      const item = titled.find((i) => i.text === h.text)!;
      if (item.publishedAt) expect(h.publishedAt).toBe(item.publishedAt);
    }
    // The times are the items' own, not the poll's: spot-check against the raw date strings.
    if (file === 'guardian.rss')
      expect(got.some((h) => h.publishedAt === parseFeedDate('Wed, 31 Jan 2018 07:26:05 GMT')!.toISOString())).toBe(true);
  });

  it('a restarted worker publishes nothing twice', async () => {
    await ticker.close();
    ticker = await start(reloaded);
    for (const name of ['wire-rss', 'wire-atom', 'late', slug('guardian.rss'), slug('uolNoticias.rss')]) {
      await expectNothingNew(name, async () => {
        expect(await ticker.feeds!.pollNow(name)).toMatchObject({ outcome: 'ingested', published: 0, corrected: 0 });
      });
    }
  });

  it('shutdown does not wait for a hanging feed, and does not count it as the feed’s failure', async () => {
    await ticker.close();
    // A minute-long timeout: if close() waited for the fetch, this test would time out.
    ticker = await stack.startTicker({ config: configWith([feed('hanging', '/hang')]), role: 'all', feedLimits: { timeoutMs: 60_000 } });
    await stack.redis.client.del(stack.keys.source('hanging', 'state'));
    const seen = server.requestsFor('/hang').length;
    const polling = ticker.feeds!.pollNow('hanging');
    await until(() => server.requestsFor('/hang').length > seen, 'the poll reaches the hanging server');
    await ticker.close();
    expect(await polling).toMatchObject({ outcome: 'failed' });
    expect(await stack.redis.client.exists(stack.keys.source('hanging', 'state'))).toBe(0);
  });
});
