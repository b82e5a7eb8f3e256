// Races between a client's handshake or subscribe and what happens meanwhile: a reload that
// narrows the key, a client that leaves before the handshake is done. Redis is made slow with
// CLIENT PAUSE, so the awaits in the gateway really are in flight when the change comes.
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningTicker } from '../../server/src/ticker.js';
import { testConfig } from '../helpers/config.js';
import { Recorder, connect, postHeadline, subscribe, subscribeOk, type TestSocket } from '../helpers/clients.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { startInProcess } from '../helpers/stack.js';
import { waitFor } from '../helpers/wait.js';

const NARROWED = 'sdk_narrowed';
const CAPPED = 'sdk_capped';
const config = (narrowedTopics: string[]) =>
  testConfig({
    keys: [
      { key: NARROWED, name: 'narrowed on reload', topics: narrowedTopics },
      // keeps the [a] group alive after the reload, so its rooms still get topic-a headlines
      { key: 'sdk_still_a', name: 'still topic a', topics: ['a'] },
      { key: CAPPED, name: 'two connections', topics: ['*'], maxConnections: 2 },
    ],
  });

let redis: TestRedis;
let ticker: RunningTicker;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  redis = await startTestRedis();
  ticker = await startInProcess(redis.url, { config: config(['a']) });
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await ticker?.close();
  await redis?.stop();
});

/** Pauses every Redis client for `ms`; resolves when the pause has ended. */
async function pauseRedis(ms: number): Promise<() => Promise<void>> {
  await redis.client.call('CLIENT', 'PAUSE', String(ms), 'ALL');
  const ends = Date.now() + ms;
  return () => new Promise((r) => setTimeout(r, Math.max(0, ends - Date.now()) + 50));
}

/** Resolves once the gateway has taken in the socket's next `subscribe` and run it up to its first await. */
function nextSubscribeWaiting(client: TestSocket): Promise<void> {
  const server = ticker.gateway!.io.of('/').sockets.get(client.id!);
  if (server === undefined) throw new Error('no such socket at the gateway');
  // Registered after the gateway's own handler: that one has queued the subscribe, which runs
  // in a microtask up to its Redis read; setImmediate comes after both.
  return new Promise((resolve) => server.once('subscribe', () => setImmediate(resolve)));
}

describe('a reload during a slow subscribe', () => {
  it('joins rooms only for the entitlement in force when the subscribe completes', async () => {
    // Headlines in the log, few of them for either topic: the snapshot cannot be proved complete
    // from memory and reads where the log starts from Redis, so the subscribe really waits.
    for (const topic of ['a', 'b', 'c']) {
      expect((await postHeadline(ticker.url, { text: `seed ${topic}`, topics: [topic] })).status).toBe(202);
    }
    const socket = await connect(ticker.url, NARROWED);
    sockets.push(socket);
    // The seeds are out (so the snapshot below has them to choose from).
    const still = await connect(ticker.url, 'sdk_still_a');
    sockets.push(still);
    await subscribeOk(still, { limit: 0 });
    const marker = await postHeadline(ticker.url, { text: 'marker', topics: ['a'] });
    await new Recorder(still).count(1);
    const rec = new Recorder(socket);
    const resumed = await pauseRedis(700);
    const waiting = nextSubscribeWaiting(socket);
    let reloaded = false;
    let ackedAfterReload: boolean | null = null;
    const pending = subscribe(socket, {}).then((ack) => ((ackedAfterReload = reloaded), ack));
    // The subscribe is waiting on Redis (its snapshot read) when the key is narrowed to [b].
    await waiting;
    const reload = ticker.reload(config(['b']));
    reloaded = true;
    await resumed();
    await reload;
    const ack = await pending;
    expect(ackedAfterReload).toBe(true);
    if (!ack.ok) throw new Error(`subscribe refused: ${ack.error.code}`);
    // The snapshot is the new entitlement's: the b seed only (not the a seed, nor the a marker).
    expect(ack.headlines.map((h) => h.text)).toEqual(['seed b']);
    expect(marker.status).toBe(202);
    expect((await postHeadline(ticker.url, { text: 'topic a, no longer licensed', topics: ['a'] })).status).toBe(202);
    expect((await postHeadline(ticker.url, { text: 'topic b, licensed now', topics: ['b'] })).status).toBe(202);
    const first = await rec.count(1);
    // Both went through the one ordered log: had the a-headline reached this socket, it would be first.
    expect(first.map((h) => h.text)).toEqual(['topic b, licensed now']);
  });
});

describe('a client that leaves during the handshake', () => {
  it('does not keep its maxConnections slot: the key can open its two connections afterwards', async () => {
    const resumed = await pauseRedis(1200);
    const leaver = io(ticker.url, { auth: { key: CAPPED }, transports: ['websocket'], reconnection: false, forceNew: true });
    // The handshake is waiting on Redis (the connection count) when the client goes away.
    await waitFor(leaver.io, 'open');
    await new Promise((r) => setTimeout(r, 200));
    leaver.close();
    await resumed();
    // Let the gateway finish the abandoned handshake's admission before counting.
    await new Promise((r) => setTimeout(r, 300));
    const one = await connect(ticker.url, CAPPED);
    sockets.push(one);
    const two = await connect(ticker.url, CAPPED);
    sockets.push(two);
    expect(one.connected && two.connected).toBe(true);
    await expect(connect(ticker.url, CAPPED)).rejects.toThrow('too_many_connections');
  });
});
