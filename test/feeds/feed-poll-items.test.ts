// What a poll takes and when it says it happened. A runaway feed: items per poll are capped,
// newest first, and the rest follow on the next polls, even when the server answers those polls
// with 304 Not Modified. Items with no date or a future one: dated when first seen, logged at
// debug. Real Redis, real queue, real log.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Headline } from '@headline-ticker/sdk/protocol';
import { parseTickerConfig } from '../../server/src/config/ticker-config.js';
import type { RunningTicker } from '../../server/src/ticker.js';
import { Recorder, connect, subscribeOk } from '../helpers/clients.js';
import { ALL_KEY, EDITOR_TOKEN } from '../helpers/config.js';
import { FeedServer } from '../helpers/feed-server.js';
import { useStack } from '../helpers/harness.js';

// The run's shared redis-server under a key prefix of this file's own; tickers start in beforeAll.
const stack = useStack({ ticker: false });

let server: FeedServer;
let ticker: RunningTicker;
/** Every log line the ticker writes, parsed. */
const logLines: Record<string, unknown>[] = [];
const logger = pino(
  { level: 'debug' },
  new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  }),
);

const N = 8;
const CAP = 3;
/** Item i was published at 10:0i, so item 8 is the newest; the document lists newest first. */
const runaway = () => {
  const items = Array.from({ length: N }, (_, k) => N - k).map(
    (i) =>
      `<item><title>Item ${i}</title><link>https://flood.example.com/${i}</link><guid>urn:flood:${i}</guid><pubDate>Tue, 14 Feb 2012 10:0${i}:00 GMT</pubDate></item>`,
  );
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>Flood</title>${items.join('')}</channel></rss>`;
};

async function headlines(n: number, topic = 'flood'): Promise<Headline[]> {
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

beforeAll(async () => {
  server = await new FeedServer().start();
  // Failing at first, so the poll the schedule starts with takes nothing; the test's polls do.
  server.set('/flood.rss', { kind: 'status', status: 503 });
  const config = parseTickerConfig(
    {
      editors: [{ name: 'desk', token: EDITOR_TOKEN }],
      keys: [{ key: ALL_KEY, name: 'all', topics: ['*'] }],
      feeds: [
        { name: 'flood', url: server.url('/flood.rss'), intervalSeconds: 3600, topics: ['flood'], maxItemsPerPoll: CAP },
        { name: 'odd-dates', url: server.url('/odd.rss'), intervalSeconds: 3600, topics: ['odd'] },
        { name: 'latin', url: server.url('/latin.rss'), intervalSeconds: 3600, topics: ['latin'] },
      ],
    },
    '(cap test)',
  );
  server.set('/odd.rss', { kind: 'status', status: 503 });
  server.set('/latin.rss', { kind: 'status', status: 503 });
  ticker = await stack.startTicker({ config, role: 'all', feedLimits: { timeoutMs: 2000 }, logger });
  expect(await ticker.feeds!.pollNow('flood')).toMatchObject({ outcome: 'failed', reason: 'http_status' });
});

afterAll(async () => {
  await ticker?.close();
  await server?.stop();
});

it('publishes the newest items first, at most the cap per poll, the rest on the next polls through 304s', async () => {
  server.set('/flood.rss', { kind: 'feed', body: runaway(), etag: '"flood-1"' });
  const first = await ticker.feeds!.pollNow('flood');
  expect(first).toMatchObject({ outcome: 'ingested', published: CAP });
  // The newest three, oldest of them first in the log.
  expect((await headlines(CAP)).map((h) => h.text)).toEqual(['Item 6', 'Item 7', 'Item 8']);

  // The server has nothing new (304): the backlog still comes through.
  const second = await ticker.feeds!.pollNow('flood');
  expect(second).toMatchObject({ outcome: 'not_modified', published: CAP });
  const third = await ticker.feeds!.pollNow('flood');
  expect(third).toMatchObject({ outcome: 'not_modified', published: N - 2 * CAP });
  const fourth = await ticker.feeds!.pollNow('flood');
  expect(fourth).toMatchObject({ outcome: 'not_modified', published: 0 });
  expect(server.requestsFor('/flood.rss').at(-1)?.['if-none-match']).toBe('"flood-1"');

  const all = await headlines(N);
  expect(all.map((h) => h.text)).toEqual(['Item 6', 'Item 7', 'Item 8', 'Item 3', 'Item 4', 'Item 5', 'Item 1', 'Item 2']);
  // Each keeps its own time, whenever it was taken.
  expect(all.map((h) => h.publishedAt)).toEqual([6, 7, 8, 3, 4, 5, 1, 2].map((i) => `2012-02-14T10:0${i}:00.000Z`));
  expect(new Set(all.map((h) => h.id)).size).toBe(N);

  // A full fetch later publishes nothing twice.
  server.set('/flood.rss', { kind: 'feed', body: runaway(), etag: '"flood-2"' });
  expect(await ticker.feeds!.pollNow('flood')).toMatchObject({ outcome: 'ingested', published: 0 });
});

it('an item with no date, or one beyond the skew in the future, is dated when first seen, and the log says why', async () => {
  const soon = new Date(Date.now() + 60_000).toUTCString(); // within the 5-minute skew
  server.set('/odd.rss', {
    kind: 'feed',
    body: `<rss version="2.0"><channel><title>Odd</title>
      <item><title>Undated</title><guid>urn:odd:1</guid></item>
      <item><title>From the future</title><guid>urn:odd:2</guid><pubDate>Wed, 01 Jan 2031 00:00:00 GMT</pubDate></item>
      <item><title>Slightly ahead</title><guid>urn:odd:3</guid><pubDate>${soon}</pubDate></item>
      <item><title>Dated</title><guid>urn:odd:4</guid><pubDate>Tue, 14 Feb 2012 10:00:00 GMT</pubDate></item>
    </channel></rss>`,
  });
  const before = Date.now();
  expect(await ticker.feeds!.pollNow('odd-dates')).toMatchObject({ outcome: 'ingested', published: 4 });
  const byText = new Map((await headlines(4, 'odd')).map((h) => [h.text, h]));
  const after = Date.now(); // the ingest worker stamps undated ones, possibly after pollNow returned
  expect(byText.get('Dated')!.publishedAt).toBe('2012-02-14T10:00:00.000Z');
  for (const text of ['Undated', 'From the future', 'Slightly ahead']) {
    const t = Date.parse(byText.get(text)!.publishedAt);
    expect(t).toBeGreaterThanOrEqual(before - 1000);
    expect(t).toBeLessThanOrEqual(after);
  }
  const said = logLines.filter((l) => l['msg'] === 'feed item dated when first seen' && l['feed'] === 'odd-dates');
  expect(said.map((l) => [l['level'], l['why'], l['key']]).sort()).toEqual([
    [20, 'future', 'guid:urn:odd:2'],
    [20, 'undated', 'guid:urn:odd:1'],
  ]);
});

it('a windows-1252 feed labelled ISO-8859-1 reaches clients with € ’ “ ” – intact', async () => {
  // The bytes spelled out: 0x80 €, 0x92 ’, 0x93 “, 0x94 ”, 0x96 –, 0xA3 £ (what Node 20.18.3+'s
  // TextDecoder turns into C1 controls, which plain-text cleaning then deletes).
  const title = 'Minister\x92s \x805bn \x93plan\x94 \x96 \xa3\x93test.\x94';
  const body = Buffer.from(
    `<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><title>L</title><item><title>${title}</title><guid>urn:latin:1</guid><pubDate>Tue, 14 Feb 2012 10:00:00 MET</pubDate></item></channel></rss>`,
    'latin1',
  );
  server.set('/latin.rss', { kind: 'feed', body, contentType: 'application/rss+xml; charset=iso-8859-1' });
  expect(await ticker.feeds!.pollNow('latin')).toMatchObject({ outcome: 'ingested', published: 1 });
  const [h] = await headlines(1, 'latin');
  expect(h).toMatchObject({ text: 'Minister’s €5bn “plan” – £“test.”', publishedAt: '2012-02-14T09:00:00.000Z' });
});
