// Admission of a key with maxConnections waits on Redis (the connection count). What happens
// meanwhile must count: a reload that narrows or revokes the key, a client that goes away.
// Redis is held with CLIENT PAUSE, and the tests wait until the gateway is really inside that
// wait (the handshake packet or the request has been taken in) before they act.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningTicker } from '../../server/src/ticker.js';
import { testConfig, EDITOR_TOKEN } from '../helpers/config.js';
import { Recorder, connect, postHeadline, subscribeOk, type TestSocket } from '../helpers/clients.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { openSse, sseHeadlines } from '../helpers/sse-fetch.js';
import { startInProcess } from '../helpers/stack.js';

const NARROWED = 'sdk_capped_narrowed';
const REVOKED = 'sdk_capped_revoked';
const TWO = 'sdk_capped_two';
const config = (phase: 'before' | 'after') =>
  testConfig({
    editors: [{ name: 'test-desk', token: EDITOR_TOKEN }],
    keys: [
      { key: NARROWED, name: 'capped, narrowed on reload', topics: phase === 'before' ? ['a'] : ['b'], maxConnections: 5 },
      ...(phase === 'before' ? [{ key: REVOKED, name: 'capped, revoked on reload', topics: ['*'], maxConnections: 5 }] : []),
      // keeps the [a] group alive after the reload, so its rooms still get topic-a headlines
      { key: 'sdk_still_a', name: 'still topic a', topics: ['a'] },
      { key: TWO, name: 'two connections', topics: ['*'], maxConnections: 2 },
    ],
  });

let redis: TestRedis;
let ticker: RunningTicker;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  redis = await startTestRedis();
  ticker = await startInProcess(redis.url, { config: config('before') });
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await ticker?.close();
  await redis?.stop();
});

/** Pauses every Redis client for `ms`; the function returned resolves when the pause has ended. */
async function pauseRedis(ms: number): Promise<() => Promise<void>> {
  await redis.client.call('CLIENT', 'PAUSE', String(ms), 'ALL');
  const ends = Date.now() + ms;
  return () => new Promise((r) => setTimeout(r, Math.max(0, ends - Date.now()) + 50));
}

/**
 * Resolves once the next Socket.IO handshake is waiting on Redis: its connect packet has been
 * taken in, and the middleware runs synchronously up to its first await (the connection count).
 */
function nextHandshakeWaiting(): Promise<void> {
  return new Promise((resolve) => {
    ticker.gateway!.io.engine.once('connection', (conn: { on(e: 'packet', l: (p: { type: string }) => void): void }) => {
      let seen = false;
      conn.on('packet', (p) => {
        if (seen || p.type !== 'message') return;
        seen = true;
        setImmediate(resolve);
      });
    });
  });
}

/** Resolves once the next HTTP request has been taken in (the stream route is then at its first await). */
function nextRequestWaiting(): Promise<void> {
  return new Promise((resolve) => ticker.httpServer.once('request', () => setImmediate(resolve)));
}

const streamsOpen = async (): Promise<number> => {
  const text = await (await fetch(`${ticker.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('ticker_streams_open '));
  return Number(line?.split(' ')[1]);
};

describe('a reload while a handshake waits on Redis', () => {
  it('admits a narrowed key under its new licence and refuses a revoked one', async () => {
    const resumed = await pauseRedis(700);
    let waiting = nextHandshakeWaiting();
    const narrowed = connect(ticker.url, NARROWED);
    await waiting;
    waiting = nextHandshakeWaiting();
    const revoked = connect(ticker.url, REVOKED).then(
      (s) => (sockets.push(s), 'admitted'),
      (err: unknown) => (err as Error).message,
    );
    await waiting;
    const reloaded = ticker.reload(config('after'));
    await resumed();
    await reloaded;
    const socket = await narrowed;
    sockets.push(socket);
    expect(await revoked).toBe('unauthorized');

    const rec = new Recorder(socket);
    await subscribeOk(socket, { limit: 0 });
    expect((await postHeadline(ticker.url, { text: 'topic a, no longer licensed', topics: ['a'] })).status).toBe(202);
    expect((await postHeadline(ticker.url, { text: 'topic b, licensed now', topics: ['b'] })).status).toBe(202);
    // Both went through the one ordered log: had the a-headline reached this socket, it would be first.
    expect((await rec.count(1)).map((h) => h.text)).toEqual(['topic b, licensed now']);
  });
});

describe('a reload while an SSE stream waits on Redis', () => {
  it('serves a narrowed key under its new licence and refuses a revoked one', async () => {
    await ticker.reload(config('before'));
    const resumed = await pauseRedis(700);
    let waiting = nextRequestWaiting();
    const narrowed = openSse(`${ticker.url}/api/stream?key=${NARROWED}&limit=0`);
    await waiting;
    waiting = nextRequestWaiting();
    const revoked = openSse(`${ticker.url}/api/stream?key=${REVOKED}&limit=0`);
    await waiting;
    const reloaded = ticker.reload(config('after'));
    await resumed();
    await reloaded;
    const stream = await narrowed;
    const refused = await revoked;
    try {
      expect(stream.status).toBe(200);
      expect(refused.status).toBe(401);
      expect((await postHeadline(ticker.url, { text: 'topic a over SSE, no longer licensed', topics: ['a'] })).status).toBe(202);
      expect((await postHeadline(ticker.url, { text: 'topic b over SSE, licensed now', topics: ['b'] })).status).toBe(202);
      const events = await stream.until((e) => sseHeadlines(e).length >= 1, 'a headline');
      expect(sseHeadlines(events).map((h) => h.text)).toEqual(['topic b over SSE, licensed now']);
    } finally {
      stream.close();
      refused.close();
    }
  });
});

describe('an SSE stream abandoned while its admission waits on Redis', () => {
  it('gives its maxConnections slot back: the key can open its two connections afterwards', async () => {
    const resumed = await pauseRedis(700);
    const waiting = nextRequestWaiting();
    const abort = new AbortController();
    const leaver = fetch(`${ticker.url}/api/stream?key=${TWO}`, { signal: abort.signal }).catch((err: unknown) => err);
    await waiting;
    abort.abort();
    await leaver;
    await resumed();
    // The gateway's commands go out in order on one connection: the abandoned stream's count
    // (and its release) come before these two connections' counts.
    const one = await connect(ticker.url, TWO);
    sockets.push(one);
    const two = await connect(ticker.url, TWO);
    sockets.push(two);
    expect(one.connected && two.connected).toBe(true);
    await expect(connect(ticker.url, TWO)).rejects.toThrow('too_many_connections');
    expect(await streamsOpen()).toBe(0);
  });
});
