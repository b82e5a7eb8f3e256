// The product's promise under faults: one worker and two gateways as real processes on a private
// Redis; desk clients spread over both gateways. While a few hundred headlines are published, a
// gateway is SIGKILLed, the gateways' pub/sub connections are dropped, the worker is SIGKILLed
// mid-stream and replaced, and Redis is killed and restarted from its AOF. Every client must end
// with every headline exactly once, seq strictly +1.
import { afterAll, describe, expect, it } from 'vitest';
import { ALL_KEY, EDITOR_TOKEN } from '../helpers/config.js';
import { usePrivateStack } from '../helpers/harness.js';
import { ResumingClient } from '../helpers/resuming-client.js';
import { startProcess, writeConfigFile, type TickerProcess } from '../helpers/stack.js';
import { until } from '../helpers/wait.js';
import { fillLog } from '../hostile/fill-log.js';

const TOTAL = 300;

// Kills and restarts Redis: a redis-server of its own.
const stack = usePrivateStack({ ticker: false });

const processes: TickerProcess[] = [];
const clients: ResumingClient[] = [];

afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all(processes.map((p) => p.kill('SIGKILL')));
});

async function start(role: 'gateway' | 'worker'): Promise<TickerProcess> {
  const p = await startProcess(role, { REDIS_URL: stack.redis.url, TICKER_CONFIG: configPath });
  processes.push(p);
  return p;
}
let configPath = '';

/** POST until accepted: 503 while Redis is down, connection errors while a gateway is gone. */
async function publishReliably(urls: () => string[], text: string, key: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const url = urls()[attempt % urls().length]!;
    const res = await fetch(`${url}/api/headlines`, {
      method: 'POST',
      headers: { authorization: `Bearer ${EDITOR_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text, idempotencyKey: key }),
      signal: AbortSignal.timeout(5000),
    }).catch(() => null); // the gateway died or timed out: the idempotency key makes the retry safe
    if (res?.status === 202) return ((await res.json()) as { id: string }).id;
    // Outside any catch: a status other than 503 fails the test at once instead of being retried.
    if (res) expect(res.status).toBe(503);
    await new Promise((r) => setTimeout(r, Math.min(25 * (attempt + 1), 250)));
  }
}

describe('nothing lost, nothing twice, never out of order — under faults', () => {
  it('survives a gateway SIGKILL, dropped pub/sub, a worker SIGKILL and a Redis restart', async () => {
    configPath = writeConfigFile();
    const worker = await start('worker');
    const g1 = await start('gateway');
    const g2 = await start('gateway');
    const urls = [g1.url, g2.url];
    for (let i = 0; i < 4; i++) {
      const c = new ResumingClient(urls, ALL_KEY, i);
      clients.push(c);
      c.start();
    }
    await until(() => clients.every((c) => c.subscriptions > 0), 'every client subscribed');

    let accepted = 0;
    const liveUrls = () => (g1.child.exitCode === null && g1.child.signalCode === null ? [g2.url, g1.url] : [g2.url]);
    const ids = new Set<string>();
    let next = 0;
    const poster = async () => {
      while (next < TOTAL) {
        const n = next++;
        ids.add(await publishReliably(liveUrls, `fault-run headline ${n}`, `fault-${n}`));
        accepted++;
      }
    };
    const posting = Promise.all([poster(), poster(), poster()]);

    await until(() => accepted >= 60, '60 accepted', 60_000);
    await g1.kill('SIGKILL');

    await until(() => accepted >= 120, '120 accepted', 60_000);
    const killed = await stack.redis.client.client('KILL', 'TYPE', 'pubsub');
    expect(Number(killed)).toBeGreaterThanOrEqual(1);

    await until(() => accepted >= 180, '180 accepted', 60_000);
    await worker.kill('SIGKILL');
    await start('worker');

    await until(() => accepted >= 240, '240 accepted', 60_000);
    await stack.redis.server.restart();

    await posting;
    expect(ids.size).toBe(TOTAL);
    await until(
      async () => Number(await stack.redis.client.get(stack.keys.seq).catch(() => 0)) >= TOTAL,
      'every headline is in the log',
      60_000,
    );
    await Promise.all(clients.map((c) => c.reach(TOTAL)));
    // One more beat of live traffic: anything duplicated late would show up before this marker.
    await publishReliably(liveUrls, 'final marker', 'fault-final');
    await Promise.all(clients.map((c) => c.reach(TOTAL + 1)));

    expect(Number(await stack.redis.client.get(stack.keys.seq))).toBe(TOTAL + 1);
    for (const c of clients) {
      expect(c.violations).toEqual([]);
      expect(c.delivered.map((h) => h.seq)).toEqual(Array.from({ length: TOTAL + 1 }, (_, i) => i + 1));
      const texts = c.delivered
        .slice(0, TOTAL)
        .map((h) => h.text)
        .sort();
      expect(new Set(texts).size).toBe(TOTAL);
      expect(new Set(c.delivered.slice(0, TOTAL).map((h) => h.id))).toEqual(ids);
      // Clients that were on the killed gateway resumed elsewhere.
      expect(c.subscriptions).toBeGreaterThanOrEqual(1);
    }
    expect(clients.some((c) => c.subscriptions > 1)).toBe(true);
  }, 180_000);

  it('a worker killed after publishing but before its job was marked done: the job re-runs, nothing twice', async () => {
    const base = Number((await stack.redis.client.get(stack.keys.seq)) ?? 0);
    const doomed = await startProcess('worker', {
      REDIS_URL: stack.redis.url,
      TICKER_CONFIG: configPath,
      TICKER_FAULT_KILL_AFTER_SEQ: String(base + 2),
    });
    processes.push(doomed);
    const gateway = processes.find((p) => p.role === 'gateway' && p.child.exitCode === null && p.child.signalCode === null)!;
    const client = new ResumingClient([gateway.url], ALL_KEY);
    clients.push(client);
    client.start();
    await until(() => client.subscriptions > 0, 'subscribed');
    // Only the doomed worker runs now; the fault run's replacement worker is stopped first.
    for (const p of processes) if (p.role === 'worker' && p !== doomed) await p.kill('SIGKILL');
    for (let i = 0; i < 5; i++) await publishReliably(() => [gateway.url], `crash-run ${i}`, `crash-${i}`);
    const { signal } = await doomed.exited;
    expect(signal).toBe('SIGKILL');
    // Its in-flight job is stalled: a new worker re-runs it once the lock lapses (about 10 s).
    await start('worker');
    await client.reach(base + 5, 30_000);
    const texts = client.delivered.filter((h) => h.seq > base).map((h) => h.text);
    expect(texts).toEqual(['crash-run 0', 'crash-run 1', 'crash-run 2', 'crash-run 3', 'crash-run 4']);
    expect(client.violations).toEqual([]);
    expect(Number(await stack.redis.client.get(stack.keys.seq))).toBe(base + 5);
  }, 60_000);
  it('a client whose gateway is down while over 500 events are published pages through them when it is back: nothing lost', async () => {
    const gateway = await start('gateway');
    const client = new ResumingClient([gateway.url], ALL_KEY);
    clients.push(client);
    client.start();
    const base = Number(await stack.redis.client.get(stack.keys.seq));
    await client.reach(base, 30_000);
    await gateway.kill('SIGKILL');
    await until(() => client.disconnects > 0, 'the client saw its gateway go');
    const pagesBefore = client.pages;
    // 1,200 events while it is away: more than two replay pages
    await fillLog(stack.redis.client, 1200, { from: 1_000_000 });
    // the gateway comes back where the client keeps trying
    processes.push(await startProcess('gateway', { REDIS_URL: stack.redis.url, TICKER_CONFIG: configPath, PORT: String(gateway.port) }));
    await client.reach(base + 1200, 60_000);
    expect(client.pages - pagesBefore).toBeGreaterThan(2);
    expect(client.violations).toEqual([]);
    expect(client.delivered.map((h) => h.seq)).toEqual(Array.from({ length: base + 1200 }, (_, i) => i + 1));
  }, 120_000);
});
