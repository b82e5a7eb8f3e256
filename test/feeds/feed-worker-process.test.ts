// The worker role as a real process: it polls the config file's feeds, SIGHUP adds a feed, and a
// restarted worker publishes nothing twice. The API/gateway side runs in this process.
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Headline } from '@headline-ticker/sdk/protocol';
import { parseTickerConfig } from '../../server/src/config/ticker-config.js';
import type { RunningTicker } from '../../server/src/ticker.js';
import { Recorder, connect, postHeadline, subscribeOk } from '../helpers/clients.js';
import { ALL_KEY, EDITOR_TOKEN } from '../helpers/config.js';
import { FeedServer } from '../helpers/feed-server.js';
import { useStack } from '../helpers/harness.js';
import { startInProcess, startProcess, writeConfigFile, type TickerProcess } from '../helpers/stack.js';
import { until } from '../helpers/wait.js';

const WIRE_RSS = readFileSync(new URL('../fixtures/wire-feed.rss', import.meta.url), 'utf8');

// Real processes share the run's redis-server under this file's prefix (TICKER_PREFIX).
const stack = useStack({ ticker: false });

let server: FeedServer;
let gateway: RunningTicker;
let worker: TickerProcess | null = null;
let configPath: string;

const fileConfig = (feeds: unknown[]) => ({
  editors: [{ name: 'test-desk', token: EDITOR_TOKEN }],
  keys: [{ key: ALL_KEY, name: 'all topics', topics: ['*'] }],
  feeds,
});
const feedA = () => ({ name: 'proc-a', url: server.url('/a.rss'), intervalSeconds: 5, topics: ['proc-a'] });
const feedB = () => ({ name: 'proc-b', url: server.url('/b.rss'), intervalSeconds: 3600, topics: ['proc-b'] });

async function headlinesFor(topic: string, n: number): Promise<Headline[]> {
  const socket = await connect(gateway.url, ALL_KEY);
  try {
    const recorder = new Recorder(socket);
    const ack = await subscribeOk(socket, { topics: [topic], since: 0, limit: 500 });
    if (ack.headlines.length < n) await recorder.count(n - ack.headlines.length, 20_000);
    return [...ack.headlines, ...recorder.received];
  } finally {
    socket.close();
  }
}

const startWorker = () => startProcess('worker', { REDIS_URL: stack.redis.url, TICKER_PREFIX: stack.prefix, TICKER_CONFIG: configPath });

beforeAll(async () => {
  server = await new FeedServer().start();
  server.set('/a.rss', { kind: 'feed', body: WIRE_RSS });
  server.set('/b.rss', { kind: 'feed', body: WIRE_RSS.replace(/wire-10/gu, 'b-10') });
  configPath = writeConfigFile(fileConfig([feedA()]));
  gateway = await startInProcess(stack.redis.url, {
    prefix: stack.prefix,
    role: 'gateway',
    config: parseTickerConfig(fileConfig([feedA()]), '(test)'),
  });
  worker = await startWorker();
}, 60_000);

afterAll(async () => {
  await worker?.kill('SIGKILL');
  await gateway?.close();
  await server?.stop();
});

describe('the worker process', () => {
  it('polls the configured feed on its schedule', async () => {
    const got = await headlinesFor('proc-a', 10);
    expect(new Set(got.map((h) => h.id)).size).toBe(10);
    expect(got.every((h) => h.source === 'proc-a')).toBe(true);
  });

  it('SIGHUP adds a feed, polled at once', async () => {
    writeFileSync(configPath, JSON.stringify(fileConfig([feedA(), feedB()])));
    worker!.child.kill('SIGHUP');
    const got = await headlinesFor('proc-b', 10);
    expect(new Set(got.map((h) => h.id)).size).toBe(10);
    await until(() => worker!.output().includes('"msg":"config reloaded"'), 'the worker logs the reload');
  });

  it('a restarted worker polls again and publishes nothing twice', { timeout: 60_000 }, async () => {
    expect((await worker!.kill('SIGTERM')).code).toBe(0);
    const socket = await connect(gateway.url, ALL_KEY);
    const recorder = new Recorder(socket);
    await subscribeOk(socket, { topics: ['proc-a'], limit: 0 });
    worker = await startWorker();
    // proc-a's schedule (every 5 s) fires in the new process; its log line comes after the
    // poll queued whatever it found.
    await until(() => /"feed":"proc-a"[^\n]*"msg":"feed polled"/u.test(worker!.output()), 'the new worker polls proc-a', 20_000);
    expect(worker.output()).toMatch(/"feed":"proc-a"[^\n]*"published":0[^\n]*"msg":"feed polled"/u);
    const marker = await postHeadline(gateway.url, { text: 'after restart', topics: ['proc-a'] });
    const [first] = await recorder.count(1);
    expect(first).toMatchObject({ id: marker.json.id, text: 'after restart' });
    socket.close();
  });
});
