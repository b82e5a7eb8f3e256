// Redis with AOF `everysec` killed -9 in the middle of a burst loses up to a second of
// acknowledged events when the machine goes down with it, and its counter then hands their
// numbers to new headlines. A process kill alone loses nothing the OS already has, so the
// machine crash is simulated: Redis comes back from its AOF as it was a moment before the kill.
// The feed epoch makes the loss visible: every client ends with seq -> id pairs equal to the log's.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TickerClient } from '@headline-ticker/sdk';
import { PrivateRedis } from '../../server/src/redis/private-redis.js';
import type { RunningTicker } from '../../server/src/ticker.js';
import { ALL_KEY, EDITOR_TOKEN } from '../helpers/config.js';
import { startInProcess } from '../helpers/stack.js';
import { until } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'ticker-everysec-'));
let server: PrivateRedis;
let ticker: RunningTicker;
const clients: TickerClient[] = [];

beforeAll(async () => {
  server = await new PrivateRedis({ dir, fsyncAlways: false }).start();
  ticker = await startInProcess(server.url);
});
afterAll(async () => {
  for (const c of clients) await c.close();
  await ticker?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** What one client holds: seq -> id, forgotten on every reset (a fresh start). */
function holdings(client: TickerClient): Map<number, string> {
  const held = new Map<number, string>();
  client.on('reset', () => held.clear());
  client.on('headline', (h) => held.set(h.seq, h.id));
  return held;
}

async function post(text: string): Promise<void> {
  await fetch(`${ticker.url}/api/headlines`, {
    method: 'POST',
    headers: { authorization: `Bearer ${EDITOR_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
  }).catch(() => undefined); // during the crash: refused, as it should be
}

describe('Redis (AOF everysec) killed -9 during a burst', () => {
  it('leaves every client with the log seq -> id pairs', async () => {
    const held: Map<number, string>[] = [];
    for (let i = 0; i < 2; i++) {
      const client = new TickerClient({ url: ticker.url, key: ALL_KEY, limit: 0 });
      clients.push(client);
      held.push(holdings(client));
    }
    await until(() => clients.every((c) => c.status === 'live'), 'clients live');
    // The newest burst post the first client has received (posts are numbered as sent).
    let newestSeen = -1;
    clients[0]!.on('headline', (h) => {
      const m = /^burst (\d+)$/u.exec(h.text);
      if (m) newestSeen = Math.max(newestSeen, Number(m[1]));
    });

    // About 200 posts a second for 1.5 s; Redis is killed 1 s in and started again at once.
    let n = 0;
    const burst = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          for (let k = 0; k < 2; k++) void post(`burst ${n++}`);
        }, 10);
        setTimeout(() => (clearInterval(timer), resolve()), ms);
      });
    const burstDone = burst(1500);
    await new Promise((r) => setTimeout(r, 800));
    // What an fsync a moment ago would have kept; the events after it are lost in the "crash".
    const backup = `${dir}-aof`;
    cpSync(join(dir, 'appendonlydir'), backup, { recursive: true });
    // A post sent after the copy was queued and appended after it: once a client has seen one,
    // the "crash" surely loses an event it holds, and its number is handed out again below.
    const sentAfterCopy = n;
    await until(() => newestSeen >= sentAfterCopy, 'a client has seen a post sent after the copy', 20_000);
    const seenBefore = new Map(held[0]);
    await server.kill();
    rmSync(join(dir, 'appendonlydir'), { recursive: true, force: true });
    cpSync(backup, join(dir, 'appendonlydir'), { recursive: true });
    rmSync(backup, { recursive: true, force: true });
    await server.start();
    await burstDone;
    // More after the restart, so numbers that were lost get handed out again.
    await until(async () => (await fetch(`${ticker.url}/readyz`)).status === 200, 'ready', 20_000);
    for (let i = 0; i < 200; i++) await post(`after ${i}`);

    const check = new Redis(server.url);
    try {
      const logPairs = async () =>
        new Map((await check.xrange('ticker:log', '-', '+')).map(([id, f]) => [Number.parseInt(id, 10), f[f.indexOf('i') + 1]!]));
      const head = async () => Number((await check.get('ticker:seq')) ?? 0);
      await until(
        async () => {
          const h = await head();
          return held.every((m) => Math.max(0, ...m.keys()) === h);
        },
        'every client has reached the head',
        30_000,
      );
      const log = await logPairs();
      // The case was really hit: numbers a client saw before the kill now name other headlines.
      const reused = [...seenBefore].filter(([seq, id]) => log.has(seq) && log.get(seq) !== id).length;
      expect(reused).toBeGreaterThan(0);
      for (const m of held) {
        for (const [seq, id] of m) expect([seq, log.get(seq)]).toEqual([seq, id]);
      }
    } finally {
      check.disconnect();
    }
  });
});
