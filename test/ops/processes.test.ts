// One process per core (TICKER_PROCESSES): real processes on one port, WebSocket and
// long-polling-only clients, a child killed mid-stream. The delivery promise must hold across
// processes, and a polling session must stay on the process that holds it.
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { readEnv } from '../../server/src/config/env.js';
import { ALL_KEY, EDITOR_TOKEN } from '../helpers/config.js';
import { useStack } from '../helpers/harness.js';
import { ResumingClient } from '../helpers/resuming-client.js';
import { startProcess, writeConfigFile, type TickerProcess } from '../helpers/stack.js';
import { until } from '../helpers/wait.js';
import { io } from 'socket.io-client';

// Real processes share the run's redis-server under this file's prefix (TICKER_PREFIX).
const stack = useStack({ ticker: false });

const TOTAL = 40;
const processes: TickerProcess[] = [];
const clients: ResumingClient[] = [];

afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all(processes.map((p) => p.kill('SIGKILL')));
});

interface ServingLine {
  pid: number;
  slot: number;
  role: string;
}

/** The children's "process serving" lines, in the order they were written. */
function servingLines(p: TickerProcess): ServingLine[] {
  return p
    .output()
    .split('\n')
    .filter((l) => l.includes('"msg":"process serving"'))
    .map((l) => JSON.parse(l) as ServingLine);
}

/** The values of every sample of `name` in a Prometheus text scrape. */
function metricValues(text: string, name: string): number[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
    .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** POST until accepted: a request on a child that dies fails, and the idempotency key makes the retry safe. */
async function publish(url: string, text: string, key: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${url}/api/headlines`, {
      method: 'POST',
      headers: { authorization: `Bearer ${EDITOR_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text, idempotencyKey: key }),
      signal: AbortSignal.timeout(5000),
    }).catch(() => null);
    if (res?.status === 202) return;
    if (res) expect(res.status).toBe(503);
    await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
  }
}

describe('TICKER_PROCESSES', () => {
  it('is validated: auto is the cores there are, the worker role runs one process', () => {
    expect(readEnv({}).processes).toBe(1);
    expect(readEnv({ TICKER_PROCESSES: '3' }).processes).toBe(3);
    expect(readEnv({ TICKER_PROCESSES: 'auto' }).processes).toBeGreaterThanOrEqual(1);
    expect(() => readEnv({ TICKER_PROCESSES: '0' })).toThrow(/TICKER_PROCESSES/u);
    expect(() => readEnv({ TICKER_PROCESSES: 'many' })).toThrow(/TICKER_PROCESSES: must be auto or a whole number/u);
    expect(() => readEnv({ TICKER_PROCESSES: '2', TICKER_ROLE: 'worker' })).toThrow(/TICKER_PROCESSES: only the all and gateway roles/u);
  });

  it('hands over every connection whole: 150 clients connecting at once, half long-polling, all go live at their first attempt', async () => {
    const p = await startProcess('all', {
      REDIS_URL: stack.redis.url,
      TICKER_PREFIX: stack.prefix,
      TICKER_CONFIG: writeConfigFile(),
      TICKER_PROCESSES: '2',
    });
    processes.push(p);
    // Bytes a client sends while its connection is being handed over must reach the child, and a
    // polling session's next request must reach the child that made the session, however soon.
    const outcomes = await Promise.all(
      Array.from({ length: 150 }, (_, n) => {
        const s = io(p.url, {
          auth: { key: ALL_KEY },
          transports: n % 2 ? ['polling'] : ['websocket'],
          reconnection: false,
          forceNew: true,
          timeout: 5000,
        });
        let timer: NodeJS.Timeout | undefined;
        return new Promise<string>((resolve) => {
          timer = setTimeout(() => resolve(`${n}: no answer to CONNECT in 15 s`), 15_000);
          s.once('connect', () => resolve('ok'));
          s.once('connect_error', (err) => resolve(`${n}: ${err.message}`));
        }).finally(() => {
          clearTimeout(timer);
          s.close();
        });
      }),
    );
    expect(outcomes.filter((o) => o !== 'ok')).toEqual([]);
    await p.kill('SIGKILL');
  }, 60_000);

  it('two processes on one port: every client gets every headline once, in order, through a child SIGKILL', async () => {
    const configPath = writeConfigFile();
    const p = await startProcess('all', {
      REDIS_URL: stack.redis.url,
      TICKER_PREFIX: stack.prefix,
      TICKER_CONFIG: configPath,
      TICKER_PROCESSES: '2',
    });
    processes.push(p);
    // A failure says where it stopped and what the processes and clients saw.
    const t0 = Date.now();
    let stage = 'started';
    const mark = (s: string) => (stage = `${s} at ${Date.now() - t0} ms`);
    onTestFailed(() => {
      console.error(`stopped after: ${stage}`);
      for (const c of clients)
        console.error(
          `client ${c.transports[0]}: ${c.delivered.length} delivered, ${c.disconnects} cuts; ${c.failures.slice(-5).join(' | ')}`,
        );
      console.error(p.output().slice(-8000));
    });
    const first = servingLines(p);
    // Only slot 0 runs the ingest worker and the feed poller; slot 1 is a gateway.
    expect(first.map((l) => [l.slot, l.role]).sort()).toEqual([
      [0, 'all'],
      [1, 'gateway'],
    ]);
    const doomed = first.find((l) => l.slot === 1)!;

    // One by one, so least-connection balancing puts two of each kind on each child.
    for (const transports of [['websocket'], ['websocket'], ['polling'], ['polling']] as const) {
      for (let i = 0; i < 2; i++) {
        const c = new ResumingClient([p.url], ALL_KEY, 0, [...transports]);
        clients.push(c);
        c.start();
        await until(() => c.subscriptions > 0, 'client subscribed');
        mark(`client ${clients.length} subscribed`);
      }
    }

    // /metrics answers for the machine, whichever child takes the request: every scrape (each a
    // new connection, spread over both children) counts all 8 sockets, and a per-process flag
    // (each child's Redis connections) is combined, not added up.
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${p.url}/metrics`);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(metricValues(text, 'ticker_sockets_connected')).toEqual([8]);
      const redisUp = metricValues(text, 'ticker_redis_connected');
      expect(redisUp.length).toBeGreaterThan(0);
      expect(redisUp.every((v) => v === 1)).toBe(true);
    }
    mark('metrics scraped');

    const texts = Array.from({ length: TOTAL }, (_, n) => `every-core headline ${n}`);
    for (const [n, text] of texts.entries()) {
      if (n === TOTAL / 2) process.kill(doomed.pid, 'SIGKILL');
      await publish(p.url, text, `core-${n}`);
      mark(`published ${n}`);
    }
    await until(() => clients.every((c) => c.delivered.length >= TOTAL), 'every client has every headline', 60_000);

    for (const c of clients) {
      expect(c.violations).toEqual([]);
      // Exactly once and in desk order, across the kill and the resume.
      expect(c.delivered.map((h) => h.text)).toEqual(texts);
      // A session is never sent to the wrong process: a client is cut off once, by the kill, if at all.
      expect(c.disconnects).toBeLessThanOrEqual(1);
    }
    const cut = clients.filter((c) => c.disconnects === 1);
    for (const kind of ['websocket', 'polling']) {
      // The killed child held clients of both kinds, and the other child kept its own.
      expect(cut.filter((c) => c.transports[0] === kind).length).toBeGreaterThan(0);
      expect(clients.filter((c) => c.transports[0] === kind && c.disconnects === 0).length).toBeGreaterThan(0);
    }

    mark('all delivered');
    // The dead child was replaced in its slot.
    await until(() => servingLines(p).some((l) => l.slot === 1 && l.pid !== doomed.pid), 'slot 1 restarted');
    expect(p.output()).toContain('"msg":"process died: restarting it"');

    mark('slot 1 restarted');
    // SIGHUP reaches every child: each reloads the config.
    const reloadsBefore = p.output().split('"msg":"config reloaded"').length;
    p.child.kill('SIGHUP');
    await until(() => p.output().split('"msg":"config reloaded"').length - reloadsBefore >= 2, 'both children reloaded');

    // SIGTERM on the primary stops every child, inside the 10 s deadline.
    for (const c of clients) c.close();
    const children = servingLines(p).map((l) => l.pid);
    mark('reloaded');
    const stopAt = Date.now();
    const exit = await p.kill('SIGTERM');
    expect(exit.code).toBe(0);
    expect(Date.now() - stopAt).toBeLessThan(10_000);
    expect(children.filter(alive)).toEqual([]);
  }, 120_000);
});
