import { afterEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { ALL_KEY, testConfig } from '../helpers/config.js';
import { connect, postHeadline, subscribeOk, type TestSocket } from '../helpers/clients.js';
import { usePrivateStack } from '../helpers/harness.js';
import { until } from '../helpers/wait.js';

/** Redis commands by name from `INFO commandstats` (commands inside scripts counted under their names). */
async function commandCounts(client: Redis): Promise<Record<string, number>> {
  const text = await client.info('commandstats');
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gmu)) out[m[1]!] = Number(m[2]);
  return out;
}

function delta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  // the test's own INFO calls are left out
  for (const [k, v] of Object.entries(after)) if (k !== 'info' && v > (before[k] ?? 0)) out[k] = v - (before[k] ?? 0);
  return out;
}

describe('the cost of a connect + subscribe in Redis commands', () => {
  const stack = usePrivateStack();
  const sockets: TestSocket[] = [];
  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });

  it('N sockets connecting and subscribing (latest 10, and a short resume) send at most N commands to Redis', async () => {
    const url = stack.ticker.url;
    for (let i = 0; i < 15; i++)
      expect((await postHeadline(url, { text: `cost ${i}`, topics: ['markets'], symbols: [] })).status).toBe(202);
    await until(async () => (await stack.currentSeq()) === 15, 'the 15 headlines appended');
    await until(() => stack.ticker.gateway!.horizon(0) === 15, 'the relay saw them');
    const client = stack.redis.client;
    // Quiet background (the relay's reconcile, BullMQ's blocking waits) measured over the same time.
    const n = 40;
    const before = await commandCounts(client);
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const socket = await connect(url, ALL_KEY);
        sockets.push(socket);
        return subscribeOk(socket, i % 2 === 0 ? { limit: 10 } : { since: 12 });
      }),
    );
    const spent = delta(before, await commandCounts(client));
    const elapsed = Date.now() - started;
    const bgBefore = await commandCounts(client);
    await new Promise((r) => setTimeout(r, elapsed));
    const background = delta(bgBefore, await commandCounts(client));
    const total = Object.values(spent).reduce((a, b) => a + b, 0) - Object.values(background).reduce((a, b) => a + b, 0);
    expect(answers.filter((_, i) => i % 2 === 0).map((a) => a.headlines.map((h) => h.text))).toEqual(
      Array(n / 2).fill(Array.from({ length: 10 }, (_, i) => `cost ${i + 5}`)),
    );
    expect(answers.filter((_, i) => i % 2 === 1).map((a) => a.headlines.map((h) => h.seq))).toEqual(Array(n / 2).fill([13, 14, 15]));
    expect(total).toBeLessThanOrEqual(n);
    // The ring reaches back to the log's start: every snapshot and resume is answered from memory.
    expect(spent['xrevrange']).toBeUndefined();
  });
});

describe('the cost of a delayed key subscribe in Redis reads', () => {
  const DEMO_KEY = 'sdk_test_demo_delayed';
  const stack = usePrivateStack({
    ticker: {
      config: testConfig({
        keys: [
          { key: ALL_KEY, name: 'all topics', topics: ['*'] },
          { key: DEMO_KEY, name: 'demo, 30 s behind', topics: ['*'], delaySeconds: 30 },
        ],
      }),
    },
  });
  const sockets: TestSocket[] = [];
  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });

  it('does not read the delay window from Redis on every subscribe when the relay holds it', async () => {
    const url = stack.ticker.url;
    // Everything is inside the 30-s window: each subscribe must learn what overtook what from
    // all of it (the events after its horizon), which it used to read with XRANGE each time.
    for (let i = 0; i < 30; i++)
      expect((await postHeadline(url, { text: `demo ${i}`, topics: ['markets'], symbols: [] })).status).toBe(202);
    await until(() => stack.ticker.gateway!.horizon(0) === 30, 'the relay saw them');
    const client = stack.redis.client;
    const n = 20;
    const before = await commandCounts(client);
    const answers = await Promise.all(
      Array.from({ length: n }, async () => {
        const socket = await connect(url, DEMO_KEY);
        sockets.push(socket);
        return subscribeOk(socket, { limit: 10 });
      }),
    );
    const spent = delta(before, await commandCounts(client));
    // Nothing released yet: the demo key sees nothing of the last 30 s.
    expect(answers.map((a) => a.headlines.length)).toEqual(Array(n).fill(0));
    expect(spent['xrange'] ?? 0).toBeLessThan(n / 2);
  });
});
