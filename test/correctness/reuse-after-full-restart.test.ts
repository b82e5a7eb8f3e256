// Redis (AOF `everysec`) killed -9 during a burst, as in epoch-after-loss.test.ts, but the gateway
// goes down with it: when everything comes back, no gateway remembers the lost tail, so none can
// notice the loss and renew the epoch, and the restored Redis still holds the old epoch. More is
// published before the clients are back, so their positions are inside the new feed. What keeps
// a client from a plain replay in reused numbers is its own memory: the SDK sends the last
// headline it received (`lastSeen`) with its resume, and the log now holds another at that seq.
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

const dir = mkdtempSync(join(tmpdir(), 'ticker-everysec-full-'));
let server: PrivateRedis;
let gateway: RunningTicker | null = null;
let writer: RunningTicker | null = null;
const clients: TickerClient[] = [];

beforeAll(async () => {
  server = await new PrivateRedis({ dir, fsyncAlways: false }).start();
  gateway = await startInProcess(server.url);
});
afterAll(async () => {
  for (const c of clients) await c.close();
  await gateway?.close();
  await writer?.close();
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

async function post(base: string, text: string): Promise<void> {
  await fetch(`${base}/api/headlines`, {
    method: 'POST',
    headers: { authorization: `Bearer ${EDITOR_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
  }).catch(() => undefined); // during the crash: refused, as it should be
}

describe('Redis (AOF everysec) and the gateway restarted together after a kill -9', () => {
  it('leaves every SDK client with the log seq -> id pairs', async () => {
    const url = gateway!.url;
    const port = gateway!.port;
    const held: Map<number, string>[] = [];
    for (let i = 0; i < 2; i++) {
      const client = new TickerClient({ url, key: ALL_KEY, limit: 0, reconnect: { minDelayMs: 50, maxDelayMs: 300 } });
      clients.push(client);
      held.push(holdings(client));
    }
    await until(() => clients.every((c) => c.status === 'live'), 'clients live');
    let newestSeen = -1;
    clients[0]!.on('headline', (h) => {
      const m = /^burst (\d+)$/u.exec(h.text);
      if (m) newestSeen = Math.max(newestSeen, Number(m[1]));
    });

    let n = 0;
    let bursting = true;
    const burst = (async () => {
      while (bursting) {
        void post(url, `burst ${n++}`);
        void post(url, `burst ${n++}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await new Promise((r) => setTimeout(r, 800));
    // What an fsync a moment ago would have kept; the events after it are lost in the "crash".
    const backup = `${dir}-aof`;
    cpSync(join(dir, 'appendonlydir'), backup, { recursive: true });
    // A post sent after the copy was queued and appended after it: once a client has seen one,
    // the crash surely loses an event it holds.
    const sentAfterCopy = n;
    await until(() => newestSeen >= sentAfterCopy, 'a client has seen a post sent after the copy', 20_000);
    const seenBefore = new Map(held[0]);
    await server.kill();
    bursting = false;
    await burst;
    await gateway!.close();
    gateway = null;
    await until(() => clients.every((c) => c.status !== 'live'), 'clients see the gateway gone');
    rmSync(join(dir, 'appendonlydir'), { recursive: true, force: true });
    cpSync(backup, join(dir, 'appendonlydir'), { recursive: true });
    rmSync(backup, { recursive: true, force: true });
    await server.start();

    // Published while the clients are away, through another node: the feed passes their positions.
    const check = new Redis(server.url);
    try {
      const head = async () => Number((await check.get('ticker:seq')) ?? 0);
      writer = await startInProcess(server.url);
      const passed = Math.max(...held.map((m) => Math.max(0, ...m.keys()))) + 20;
      for (let i = 0; (await head()) < passed; i++) {
        await post(writer.url, `after ${i}`);
        if (i > 2000) throw new Error('the feed does not move');
      }
      gateway = await startInProcess(server.url, { port });
      await until(() => clients.every((c) => c.status === 'live'), 'clients live again', 20_000);
      for (let i = 0; i < 5; i++) await post(writer.url, `final ${i}`);
      await until(
        async () => {
          const h = await head();
          return held.every((m) => Math.max(0, ...m.keys()) === h);
        },
        'every client has reached the head',
        30_000,
      );
      const log = new Map((await check.xrange('ticker:log', '-', '+')).map(([id, f]) => [Number.parseInt(id, 10), f[f.indexOf('i') + 1]!]));
      // The case was really hit: numbers a client saw before the kill now name other headlines.
      const reused = [...seenBefore].filter(([seq, id]) => log.has(seq) && log.get(seq) !== id).length;
      expect(reused).toBeGreaterThan(0);
      for (const m of held) {
        for (const [seq, id] of m) expect([seq, log.get(seq)]).toEqual([seq, id]);
      }
    } finally {
      check.disconnect();
    }
  }, 120_000);
});
