// Durability "replica" with the replica gone: publishing stops (503), reading must not. WAIT
// blocks the connection it runs on, so the writes and their WAIT have connections of their own;
// reads on the same process answer as promptly as ever.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningTicker } from '../../server/src/ticker.js';
import { ALL_KEY } from '../helpers/config.js';
import { Recorder, connect, postHeadline, subscribeOk } from '../helpers/clients.js';
import { inSync, startReplicatedPair, type ReplicatedPair } from '../helpers/redis-topologies.js';
import { startInProcess } from '../helpers/stack.js';

let pair: ReplicatedPair;
let ticker: RunningTicker;

beforeAll(async () => {
  pair = await startReplicatedPair();
  ticker = await startInProcess(pair.url, { durability: 'replica' });
}, 60_000);

afterAll(async () => {
  await ticker?.close();
  await pair?.stop();
});

/** One read, timed: its status and how long it took. */
async function timedRead(path: string): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(`${ticker.url}${path}`, { headers: { authorization: `Bearer ${ALL_KEY}` } });
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - t0 };
}

describe('durability "replica", the replica down', () => {
  it('POSTs wait and answer 503; reads on the same process answer at once; all is delivered once the replica is back', async () => {
    const socket = await connect(ticker.url, ALL_KEY);
    const ack = await subscribeOk(socket, { topics: ['*'] });
    const live = new Recorder(socket);
    expect((await postHeadline(ticker.url, { text: 'before', idempotencyKey: 'rd-0' })).status).toBe(202);
    await live.count(1);

    await pair.replica.kill();
    let settled = 0;
    const posts = Array.from({ length: 6 }, (_, i) =>
      postHeadline(ticker.url, { text: `during ${i}`, idempotencyKey: `rd-${i + 1}` }).finally(() => settled++),
    );
    // Reads while the POSTs wait for a replica that never answers (each WAIT takes 500 ms).
    const reads: { status: number; ms: number }[] = [];
    let readsBeforeFirstPostSettled = 0;
    for (let i = 0; i < 12; i++) {
      const batch = await Promise.all([timedRead('/api/headlines?limit=5'), timedRead('/api/headlines?limit=1')]);
      reads.push(...batch);
      if (settled === 0) readsBeforeFirstPostSettled += batch.length;
    }
    const replay = await subscribeOk(await connect(ticker.url, ALL_KEY), { topics: ['*'], since: ack.seq });
    const answers = await Promise.all(posts);

    // None of the reads waited for the writes, and they ran while the writes were stuck.
    expect(reads.map((r) => r.status)).toEqual(reads.map(() => 200));
    // Behind the WAITs (500 ms each, six of them queued) a read would take seconds; a loaded
    // machine can slow one read, not the median.
    const ms = reads.map((r) => r.ms).sort((a, b) => a - b);
    const median = ms[Math.floor(ms.length / 2)]!;
    const slowest = ms[ms.length - 1]!;
    expect(median).toBeLessThan(150);
    expect(slowest).toBeLessThan(1000);
    expect(readsBeforeFirstPostSettled).toBeGreaterThan(0);
    expect(replay.headlines.map((h) => h.text)).toEqual(['before']);
    // Nothing was acknowledged that no replica holds.
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 503));
    console.info(
      `replica down: ${reads.length} reads, median ${Math.round(median)} ms, slowest ${Math.round(slowest)} ms, while ${answers.length} POSTs answered 503 (${answers
        .map((a) => a.json.error?.code)
        .join(', ')})`,
    );

    // The replica back: the same keys go through, each published once, in order.
    await pair.replica.start();
    await inSync(pair.primary, 1);
    for (let i = 1; i <= 6; i++)
      expect((await postHeadline(ticker.url, { text: `during ${i - 1}`, idempotencyKey: `rd-${i}` })).status).toBe(202);
    const got = await live.count(7);
    expect(got.map((h) => h.seq)).toEqual(Array.from({ length: 7 }, (_, i) => ack.seq + 1 + i));
    expect(new Set(got.map((h) => h.text)).size).toBe(7);
    socket.close();
  }, 60_000);
});
