// Resume across gateway restarts: a gateway child process the test kills (SIGKILL: no goodbye),
// then gateways in this process on the same port (fast to start and stop on a loaded machine),
// and an in-process API + worker on the same private Redis that keeps publishing while the
// gateway is down. The retention is tiny (10 events, no minimum age), so a client that is away
// for long enough gets `reset` instead of a replay.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TickerClient } from '@headline-ticker/sdk';
import type { RunningTicker } from '../../server/src/ticker.js';
import { ALL_KEY, testConfig } from '../helpers/config.js';
import { postHeadline } from '../helpers/clients.js';
import { useStack } from '../helpers/harness.js';
import { ClientLog } from '../helpers/sdk-client.js';
import { startInProcess, startProcess, writeConfigFile, type TickerProcess } from '../helpers/stack.js';
import { until } from '../helpers/wait.js';

// Real processes share the run's redis-server under this file's prefix (TICKER_PREFIX).
const stack = useStack({ ticker: false });

const config = testConfig({ retention: { maxEvents: 10, minAgeSeconds: 0 } });
let api: RunningTicker;
let gatewayProcess: TickerProcess;
let gateway: RunningTicker | null = null;
let configPath: string;
let client: TickerClient;
let log: ClientLog;

const WAIT = 30_000;
/** Publishes through the API node and waits until the log holds it. */
const publish = async (text: string) => {
  const before = await stack.currentSeq();
  const res = await postHeadline(api.url, { text, topics: ['energy'] });
  expect(res.status).toBe(202);
  await until(async () => (await stack.currentSeq()) > before, `"${text}" is in the log`, WAIT);
};

beforeAll(async () => {
  configPath = writeConfigFile(config);
  api = await startInProcess(stack.redis.url, { prefix: stack.prefix, config });
  gatewayProcess = await startProcess('gateway', { REDIS_URL: stack.redis.url, TICKER_PREFIX: stack.prefix, TICKER_CONFIG: configPath });
  client = new TickerClient({
    url: gatewayProcess.url,
    key: ALL_KEY,
    topics: ['energy'],
    limit: 0,
    reconnect: { minDelayMs: 50, maxDelayMs: 300 },
  });
  log = new ClientLog(client);
  await client.ready(WAIT);
}, 90_000);

afterAll(async () => {
  await client?.close();
  await gatewayProcess?.kill('SIGKILL');
  await gateway?.close();
  await api?.close();
});

describe('resume after the gateway goes away', () => {
  it('a killed gateway: what was published meanwhile arrives once each, in order, then live goes on', async () => {
    await publish('before 1');
    await publish('before 2');
    await log.count(2, WAIT);
    const port = gatewayProcess.port;

    await gatewayProcess.kill('SIGKILL');
    await log.status('reconnecting', 1, WAIT);
    expect(log.statuses.at(-1)).toMatchObject({ status: 'reconnecting', previous: 'live', reason: 'connection_lost' });
    for (const text of ['while down 1', 'while down 2', 'while down 3']) await publish(text);

    gateway = await startInProcess(stack.redis.url, { prefix: stack.prefix, role: 'gateway', config, port });
    await log.status('live', 2, WAIT);
    await publish('after');
    await log.text('after', WAIT);

    expect(log.texts).toEqual(['before 1', 'before 2', 'while down 1', 'while down 2', 'while down 3', 'after']);
    const seqs = log.seqs;
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(log.resets).toEqual([]);
  }, 120_000);

  it('a graceful stop says `bye shutdown`; away past the retained log: `reset` with the fresh snapshot, then live', async () => {
    const delivered = log.headlines.length;
    const cursor = client.lastSeq!;
    const port = gateway!.port;

    await gateway!.close();
    await log.status('reconnecting', 2, WAIT);
    // A graceful stop sends `bye { reason: "shutdown" }` first; the client comes straight back.
    expect(log.statuses.at(-1)).toMatchObject({ status: 'reconnecting', previous: 'live', reason: 'shutdown' });
    for (let i = 1; i <= 15; i++) await publish(`away ${i}`);

    gateway = await startInProcess(stack.redis.url, { prefix: stack.prefix, role: 'gateway', config, port });
    await log.status('live', 3, WAIT);
    expect(log.resets).toHaveLength(1);
    const reset = log.resets[0]!;
    expect(reset.since).toBe(cursor);
    expect(reset.seq).toBe(await stack.currentSeq());
    // The log kept about 10 events, so the snapshot starts well after the cursor and ends with the newest.
    expect(reset.headlines.length).toBeGreaterThan(0);
    expect(reset.headlines.length).toBeLessThan(15);
    expect(reset.headlines[0]!.seq).toBeGreaterThan(cursor + 1);
    expect(reset.headlines.at(-1)!.text).toBe('away 15');
    // The snapshot is delivered as headlines too, after the old ones, in order, once.
    expect(log.headlines.slice(delivered)).toEqual(reset.headlines);

    await publish('after reset');
    await log.text('after reset', WAIT);
    const seqs = log.seqs;
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  }, 120_000);
});
