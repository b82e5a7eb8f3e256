// A hung Redis (CLIENT PAUSE ALL) answers quickly with 503s instead of hanging requests, and a
// process whose Redis is gone or hung shuts down cleanly well inside its 10 s deadline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningTicker } from '../../server/src/ticker.js';
import { ALL_KEY, EDITOR_TOKEN } from '../helpers/config.js';
import { Recorder, connect, postHeadline, subscribeOk, type TestSocket } from '../helpers/clients.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { startInProcess, startProcess, writeConfigFile } from '../helpers/stack.js';
import { until } from '../helpers/wait.js';

let redis: TestRedis;
let ticker: RunningTicker;
let socket: TestSocket;

beforeAll(async () => {
  redis = await startTestRedis();
  ticker = await startInProcess(redis.url);
  socket = await connect(ticker.url, ALL_KEY);
});
afterAll(async () => {
  socket?.close();
  await ticker?.close();
  await redis?.stop();
});

const timed = async <T>(p: Promise<T>): Promise<{ value: T; ms: number }> => {
  const t0 = Date.now();
  const value = await p;
  return { value, ms: Date.now() - t0 };
};

describe('under CLIENT PAUSE ALL', () => {
  it('POST and readiness answer 503 within 3 s; the retry with the same key publishes exactly once', async () => {
    const rec = new Recorder(socket);
    await subscribeOk(socket, { limit: 0 });
    const body = { text: 'Filed while Redis hung', idempotencyKey: 'hung-1' };
    const pauseMs = 5000;
    await redis.client.call('CLIENT', 'PAUSE', String(pauseMs), 'ALL');
    const pausedUntil = Date.now() + pauseMs;
    const [post, ready] = await Promise.all([
      timed(postHeadline(ticker.url, body)),
      timed(fetch(`${ticker.url}/readyz`).then((r) => r.status)),
    ]);
    expect(post.value.status).toBe(503);
    // Deterministic: the editor's write lease times out and admits (a limit is not a safety
    // check), the connection stays "ready" under a pause, so the first write that can fail is
    // the idempotency claim, whose command times out: it may yet run.
    expect(post.value.json.error?.code).toBe('outcome_unknown');
    expect(post.ms).toBeLessThan(3000);
    expect(ready.value).toBe(503);
    expect(ready.ms).toBeLessThan(3000);

    await new Promise((r) => setTimeout(r, Math.max(0, pausedUntil - Date.now()) + 100));
    await until(async () => (await fetch(`${ticker.url}/readyz`)).status === 200, 'ready again');
    const retry = await postHeadline(ticker.url, body);
    expect(retry.status).toBe(202);
    const marker = await postHeadline(ticker.url, { text: 'marker' });
    expect(marker.status).toBe(202);
    // One worker, one ordered log: once the marker is out, anything queued before it is too.
    await until(() => rec.received.some((h) => h.id === marker.json.id), 'the marker is out');
    expect(rec.received.filter((h) => h.text === body.text).map((h) => h.id)).toEqual([retry.json.id]);
  });
});

/** Starts a gateway+worker process on a Redis of its own, with one headline accepted. */
async function startWithOwnRedis(): Promise<{ own: TestRedis; proc: Awaited<ReturnType<typeof startProcess>> }> {
  const own = await startTestRedis();
  const proc = await startProcess('all', { REDIS_URL: own.url, TICKER_CONFIG: writeConfigFile() });
  const res = await fetch(`${proc.url}/api/headlines`, {
    method: 'POST',
    headers: { authorization: `Bearer ${EDITOR_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'before Redis went away' }),
  });
  expect(res.status).toBe(202);
  return { own, proc };
}

/** SIGTERM; asserts a clean exit (code 0, no forced exit) within `withinMs`. */
async function expectCleanExit(proc: Awaited<ReturnType<typeof startProcess>>, withinMs: number): Promise<void> {
  const t0 = Date.now();
  const exit = await proc.kill('SIGTERM');
  const ms = Date.now() - t0;
  if (exit.code !== 0)
    console.log(
      proc
        .output()
        .split('\n')
        .filter((l) => !l.includes('redis connection error'))
        .slice(-30)
        .join('\n'),
    );
  expect(exit.code).toBe(0);
  expect(ms).toBeLessThan(withinMs);
  expect(proc.output()).not.toContain('shutdown took over 10 s');
}

describe('SIGTERM with Redis hung', () => {
  it('exits cleanly in a few seconds, without the forced-exit path', async () => {
    const { own, proc } = await startWithOwnRedis();
    try {
      // Hung for far longer than the shutdown deadline: every command waits, none fails fast.
      await own.client.call('CLIENT', 'PAUSE', '60000', 'ALL');
      await expectCleanExit(proc, 6000);
    } finally {
      await proc.kill('SIGKILL');
      await own.server.kill();
      await own.stop();
    }
  });
});

describe('SIGTERM with Redis gone', () => {
  it('exits cleanly in a few seconds, without the forced-exit path', async () => {
    const { own, proc } = await startWithOwnRedis();
    try {
      await own.server.kill();
      await new Promise((r) => setTimeout(r, 300));
      await expectCleanExit(proc, 5000);
    } finally {
      await proc.kill('SIGKILL');
      await own.stop();
    }
  });
});
