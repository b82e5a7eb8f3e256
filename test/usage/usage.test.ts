import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io } from 'socket.io-client';
import type { Redis } from 'ioredis';
import type { RunningTicker } from '../../server/src/ticker.js';
import type { KeyUsage, UsageReport } from '../../server/src/usage/usage-report.js';
import { MINUTE_TTL_SECONDS, dayOf, usageKeys } from '../../server/src/usage/usage-keys.js';
import { MAX_PENDING, OVERFLOW_ORIGIN } from '../../server/src/usage/usage-tally.js';
import { CSV_HEADER } from '../../server/src/usage/usage-csv.js';
import { Recorder, connect, postHeadline, subscribeOk, type TestSocket } from '../helpers/clients.js';
import { ALL_KEY, EDITOR_TOKEN, WIDGET_KEY, WIDGET_ORIGIN, testConfig } from '../helpers/config.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { ROOT, startInProcess, writeConfigFile } from '../helpers/stack.js';
import { until } from '../helpers/wait.js';

// Two gateways (two stacks on one Redis). Flushes are driven by the test (`usage.flush()`), so
// nothing waits on a timer and the Redis traffic of a burst can be counted exactly.
const ADMIN_TOKEN = 'ed_usage_admin_token';
const SECOND_ORIGIN = 'http://second.test';
const TOP_N = 20;
const rawConfig = {
  editors: [
    { name: 'desk', token: EDITOR_TOKEN },
    { name: 'licensing', token: ADMIN_TOKEN, admin: true },
  ],
  keys: [
    { key: ALL_KEY, name: 'Acme Trading', topics: ['*'] },
    { key: WIDGET_KEY, name: 'Example widget', topics: ['*'], origins: [WIDGET_ORIGIN, SECOND_ORIGIN] },
  ],
  // Refused handshakes below must reach the origin check, not the per-address flood limit.
  limits: { authFailuresPerMinute: 100_000 },
  usage: { flushSeconds: 60, refusedTopN: TOP_N },
};
const config = testConfig(rawConfig);

let redis: TestRedis;
let a: RunningTicker;
let b: RunningTicker;
const sockets: TestSocket[] = [];
const today = () => dayOf(Date.now());

async function open(t: RunningTicker, key: string, origin?: string): Promise<TestSocket> {
  const s = await connect(t.url, key, origin === undefined ? {} : { origin });
  sockets.push(s);
  return s;
}

const flushBoth = async () => {
  await a.usage!.flush();
  await b.usage!.flush();
};

async function usage(
  t: RunningTicker,
  query = '',
  token = ADMIN_TOKEN,
): Promise<{ status: number; body: UsageReport & { error?: { code: string } } }> {
  const res = await fetch(`${t.url}/api/usage${query}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as UsageReport & { error?: { code: string } } };
}

const keyIn = (r: UsageReport, name: string): KeyUsage => {
  const k = r.keys.find((x) => x.name === name);
  if (!k) throw new Error(`no key ${name} in ${JSON.stringify(r.keys.map((x) => x.name))}`);
  return k;
};

/** A handshake that the server refuses: resolves with the connect_error message. */
function refusedHandshake(url: string, key: string, headers: Record<string, string>): Promise<string> {
  const s = io(url, { auth: { key }, transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: headers });
  return new Promise((resolve, reject) => {
    s.once('connect', () => {
      s.close();
      reject(new Error('the handshake was accepted'));
    });
    s.once('connect_error', (err) => {
      s.close();
      resolve(err.message);
    });
  });
}

beforeAll(async () => {
  redis = await startTestRedis();
  a = await startInProcess(redis.url, { config });
  b = await startInProcess(redis.url, { config });
});

afterAll(async () => {
  for (const s of sockets) s.close();
  await a?.close();
  await b?.close();
  await redis?.stop();
});

describe('usage per key across two gateways', () => {
  const N = 4; // widget sockets from a licensed origin: 3 on a, 1 on b
  const M = 3; // SDK sockets: 2 on a, 1 on b
  let widgets: TestSocket[];
  let sdks: TestSocket[];

  it('N widget and M SDK sockets show as now and as the peak, on either gateway', async () => {
    widgets = [
      await open(a, WIDGET_KEY, WIDGET_ORIGIN),
      await open(a, WIDGET_KEY, WIDGET_ORIGIN),
      await open(a, WIDGET_KEY, WIDGET_ORIGIN),
      await open(b, WIDGET_KEY, WIDGET_ORIGIN),
    ];
    sdks = [await open(a, ALL_KEY), await open(a, ALL_KEY), await open(b, ALL_KEY)];
    expect(widgets).toHaveLength(N);
    expect(sdks).toHaveLength(M);
    await flushBoth();
    for (const t of [a, b]) {
      const { status, body } = await usage(t);
      expect(status).toBe(200);
      const widget = keyIn(body, 'Example widget');
      const sdk = keyIn(body, 'Acme Trading');
      expect(widget.kind).toBe('widget');
      expect(sdk.kind).toBe('api');
      expect([widget.viewersNow, widget.peakViewers, widget.connects]).toEqual([N, N, N]);
      expect([sdk.viewersNow, sdk.peakViewers, sdk.connects]).toEqual([M, M, M]);
      const perOrigin = Object.fromEntries(widget.origins.map((o) => [o.origin, [o.viewersNow, o.peakViewers, o.connects]]));
      expect(perOrigin).toEqual({ [WIDGET_ORIGIN]: [N, N, N], [SECOND_ORIGIN]: [0, 0, 0] });
      expect(Date.parse(widget.lastSeen!)).toBeGreaterThan(Date.now() - 60_000);
      // the chart's last hour carries the peak too
      expect(widget.lastDay).toHaveLength(24);
      expect(widget.lastDay.at(-1)!.peakViewers).toBe(N);
      // editors' consoles are not licences
      expect(body.keys.map((k) => k.name).sort()).toEqual(['Acme Trading', 'Example widget']);
    }
    // Roll-ups live retentionDays + 1 day (as written by this flush); minute figures two hours.
    const rollupTtl = (config.usage.retentionDays + 1) * 86_400;
    const k = usageKeys('ticker');
    const rollups = [...(await redis.client.keys(k.hour('*'))), ...(await redis.client.keys(k.day('*'))), k.now, k.lastSeen, k.names];
    expect(rollups.length).toBeGreaterThanOrEqual(5);
    for (const key of rollups) {
      const ttl = await redis.client.ttl(key);
      expect(ttl, key).toBeGreaterThan(rollupTtl - 60);
      expect(ttl, key).toBeLessThanOrEqual(rollupTtl);
    }
    const minutes = await redis.client.keys(k.minute('*'));
    expect(minutes.length).toBeGreaterThan(0);
    for (const key of minutes) {
      const ttl = await redis.client.ttl(key);
      expect(ttl, key).toBeGreaterThan(MINUTE_TTL_SECONDS - 60);
      expect(ttl, key).toBeLessThanOrEqual(MINUTE_TTL_SECONDS);
    }
  });

  it('deliveries are counted exactly: once per socket per event, whatever its rooms', async () => {
    const before = keyIn((await usage(a)).body, 'Acme Trading').deliveries;
    const beforeWidget = keyIn((await usage(a)).body, 'Example widget').deliveries;
    for (const s of widgets) await subscribeOk(s, { limit: 0 });
    // one SDK socket everything, one in two rooms the events both match, one matching nothing
    await subscribeOk(sdks[0]!, { limit: 0 });
    await subscribeOk(sdks[1]!, { topics: ['politics'], symbols: ['GAZP'], limit: 0 });
    await subscribeOk(sdks[2]!, { topics: ['sports'], limit: 0 });
    const K = 5;
    const receivers = [...widgets, sdks[0]!, sdks[1]!].map((s) => new Recorder(s));
    const idle = new Recorder(sdks[2]!);
    for (let i = 0; i < K; i++) {
      expect((await postHeadline(a.url, { text: `usage delivery ${i}`, topics: ['politics'], symbols: ['GAZP'] })).status).toBe(202);
    }
    for (const r of receivers) expect(await r.count(K)).toHaveLength(K);
    expect(idle.received).toHaveLength(0);
    await flushBoth();
    const body = (await usage(b)).body;
    expect(keyIn(body, 'Example widget').deliveries - beforeWidget).toBe(K * N);
    expect(keyIn(body, 'Acme Trading').deliveries - before).toBe(K * 2);
    expect(keyIn(body, 'Example widget').origins.find((o) => o.origin === WIDGET_ORIGIN)!.deliveries).toBe(K * N);
    // what the sockets actually received, to the one
    expect(receivers.reduce((n, r) => n + r.received.length, 0)).toBe(K * N + K * 2);
  });

  it('the hot path makes no Redis call per delivery or connect; a flush makes a few', async () => {
    const monitor = await redis.client.monitor();
    const usageCalls: string[] = [];
    const seen = new Set<string>();
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (args[0]?.toLowerCase() === 'echo') seen.add(args[1]!);
      // commands run by the flush scripts count once, as the script call that ran them
      if (source !== 'lua' && args.some((x) => x.includes(':usage:'))) usageCalls.push(args[0]!);
    });
    // MONITOR lines arrive on their own connection: a marker through Redis says all before it have.
    const settled = async () => {
      const marker = `settled-${Math.random()}`;
      await redis.client.echo(marker);
      await until(() => seen.has(marker), 'the monitor caught up');
    };
    try {
      const before = keyIn((await usage(a)).body, 'Acme Trading').deliveries;
      // The API call above went through the monitor too: start counting after it.
      await settled();
      usageCalls.length = 0;
      const extra = [await open(a, ALL_KEY), await open(a, ALL_KEY), await open(b, ALL_KEY)];
      const recs = extra.map((s) => new Recorder(s));
      for (const s of extra) await subscribeOk(s, { limit: 0 });
      const K = 30;
      for (let i = 0; i < K; i++) expect((await postHeadline(a.url, { text: `burst ${i}`, topics: ['energy'] })).status).toBe(202);
      for (const r of recs) await r.count(K);
      extra[2]!.close();
      await settled();
      expect(usageCalls).toEqual([]);
      await flushBoth();
      await settled();
      // one script per gateway (no refusals or unknown keys in this burst)
      expect(usageCalls.filter((c) => c.toLowerCase() === 'eval' || c.toLowerCase() === 'evalsha')).toHaveLength(2);
      expect(usageCalls).toHaveLength(2);
      const after = keyIn((await usage(a)).body, 'Acme Trading');
      // sdks[0] got the burst too (sdks[1] and [2] are on other topics)
      expect(after.deliveries - before).toBe(K * 4);
    } finally {
      monitor.disconnect();
    }
  });

  it('Prometheus: per key, labelled by key name only', async () => {
    const text = await (await fetch(`${a.url}/metrics`)).text();
    expect(text).toMatch(/ticker_usage_viewers\{key="Example widget"\} 3/u);
    expect(text).toMatch(/ticker_usage_deliveries_total\{key="Acme Trading"\} \d+/u);
    expect(text).not.toContain(WIDGET_ORIGIN);
    expect(text).not.toMatch(/ticker_usage_[a-z_]+\{[^}]*(origin|address)=/u);
  });
});

describe('refused use', () => {
  it('a foreign origin and a missing origin are each recorded, with counts and the referring page', async () => {
    const pirate = 'http://pirate.test';
    expect(await refusedHandshake(a.url, WIDGET_KEY, { origin: pirate, referer: `${pirate}/stolen-ticker.html` })).toBe('unauthorized');
    expect(await refusedHandshake(b.url, WIDGET_KEY, { origin: pirate })).toBe('unauthorized');
    expect(await refusedHandshake(a.url, WIDGET_KEY, {})).toBe('unauthorized');
    await flushBoth();
    const refused = keyIn((await usage(a)).body, 'Example widget').refused;
    expect(refused.total).toBe(3);
    expect(refused.origins).toEqual([
      { origin: pirate, count: 2, referer: `${pirate}/stolen-ticker.html` },
      { origin: '(none)', count: 1, referer: null },
    ]);
    // one stored entry per (key, origin, day), however many attempts
    const ref = a.access.key(WIDGET_KEY)!.ref;
    expect(await redis.client.zcard(usageKeys('ticker').refused(today(), ref))).toBe(2);
    const ttl = await redis.client.ttl(usageKeys('ticker').refused(today(), ref));
    expect(ttl).toBeGreaterThan((config.usage.retentionDays + 1) * 86_400 - 60);
    expect(ttl).toBeLessThanOrEqual((config.usage.retentionDays + 1) * 86_400);
  });

  it('REST: a widget key from a foreign or missing Origin on GET /api/headlines and GET /api/stream is recorded too', async () => {
    const refusedKey = usageKeys('ticker').refused(today(), a.access.key(WIDGET_KEY)!.ref);
    const before = keyIn((await usage(a)).body, 'Example widget').refused;
    const noneBefore = before.origins.find((o) => o.origin === '(none)')?.count ?? 0;
    const thief = 'http://rest-thief.test';
    const get = (t: RunningTicker, path: string, headers: Record<string, string>) =>
      fetch(`${t.url}${path}?key=${WIDGET_KEY}`, { headers });
    const answers = [
      await get(a, '/api/headlines', { origin: thief, referer: `${thief}/copied-ticker.html` }),
      await get(b, '/api/stream', { origin: thief }),
      await get(b, '/api/headlines', {}),
      await get(a, '/api/stream', { referer: 'http://no-origin.test/page' }),
    ];
    for (const r of answers) {
      expect(r.status).toBe(403);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    }
    await flushBoth();
    const refused = keyIn((await usage(a)).body, 'Example widget').refused;
    expect(refused.total - before.total).toBe(4);
    expect(refused.origins).toContainEqual({ origin: thief, count: 2, referer: `${thief}/copied-ticker.html` });
    expect(refused.origins).toContainEqual({ origin: '(none)', count: noneBefore + 2, referer: 'http://no-origin.test/page' });
    // still one stored entry per (key, origin, day): the thief's is new, '(none)' was there
    expect(await redis.client.zcard(refusedKey)).toBe(3);
    expect(await redis.client.zscore(refusedKey, thief)).toBe('2');
  });

  it('unknown keys are counted per address, and the guessed key is stored nowhere', async () => {
    const guess = 'wgt_guessed_secret_42';
    expect(await refusedHandshake(a.url, guess, { origin: WIDGET_ORIGIN })).toBe('unauthorized');
    expect((await fetch(`${b.url}/api/headlines?key=${guess}`)).status).toBe(401);
    expect((await fetch(`${a.url}/api/stream`, { headers: { authorization: `Bearer ${guess}` } })).status).toBe(401);
    await flushBoth();
    const { body } = await usage(b);
    expect(body.unknownKeys.attempts).toBe(3);
    // the socket and the REST request may name the same address differently (::ffff:127.0.0.1)
    const recent = body.unknownKeys.recentAddresses;
    expect(recent.reduce((n, r) => n + r.count, 0)).toBe(3);
    for (const r of recent) expect(r.address).toMatch(/127\.0\.0\.1$/u);
    expect(JSON.stringify(body)).not.toContain(guess);
    expect(await dumpUsage(redis.client)).not.toContain(guess);
    // the addresses live only as long as the flood window
    const ttls = await Promise.all((await redis.client.keys('ticker:usage:unknown-addr:*')).map((k) => redis.client.ttl(k)));
    expect(ttls.length).toBeGreaterThan(0);
    for (const t of ttls) {
      expect(t).toBeGreaterThan(0);
      expect(t).toBeLessThanOrEqual(120);
    }
  });

  it('forged origins keep the stored set at its bound: through handshakes, REST requests and past the in-memory bound', async () => {
    const key = a.access.key(WIDGET_KEY)!;
    const refusedKey = usageKeys('ticker').refused(today(), key.ref);
    const refererKey = usageKeys('ticker').referer(today(), key.ref);
    const before = keyIn((await usage(a)).body, 'Example widget').refused.total;
    const forged = Array.from({ length: 2 * TOP_N }, (_, i) => `http://forged-${i}.test`);
    for (let i = 0; i < forged.length; i += 10) {
      await Promise.all(
        forged.slice(i, i + 10).map((o) => refusedHandshake(i % 20 === 0 ? a.url : b.url, WIDGET_KEY, { origin: o, referer: `${o}/p` })),
      );
    }
    await flushBoth();
    expect(await redis.client.zcard(refusedKey)).toBe(TOP_N);
    expect(await redis.client.hlen(refererKey)).toBeLessThanOrEqual(TOP_N);
    // Then more distinct origins than a gateway holds between flushes (MAX_PENDING), in one flush
    // window at gateway a: thousands as real refused requests, the rest through the same hook.
    // Setting flushSeconds restarts a's flush timer, so no timed flush splits the window.
    const config60 = a.usage!.config;
    a.usage!.config = { ...config60, flushSeconds: 59 };
    const REST = 3000;
    const EXTRA = 50;
    const TOTAL = MAX_PENDING + EXTRA;
    const forgedOrigin = (i: number) => `https://forged-${i}.example`;
    const statuses: number[] = [];
    for (let i = 0; i < REST; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, async (_, j) => {
          const o = forgedOrigin(i + j);
          const r = await fetch(`${a.url}/api/headlines?key=${WIDGET_KEY}`, { headers: { origin: o, referer: `${o}/x` } });
          await r.arrayBuffer();
          statuses.push(r.status);
        }),
      );
    }
    expect(statuses.filter((x) => x === 403)).toHaveLength(REST);
    for (let i = REST; i < TOTAL; i++) a.usage!.refused(key, forgedOrigin(i), `${forgedOrigin(i)}/x`);
    await a.usage!.flush();
    a.usage!.config = config60;
    expect(await redis.client.zcard(refusedKey)).toBe(TOP_N);
    expect(await redis.client.hlen(refererKey)).toBeLessThanOrEqual(TOP_N);
    const report = keyIn((await usage(a)).body, 'Example widget').refused;
    // the total stays exact
    expect(report.total - before).toBe(2 * TOP_N + TOTAL);
    expect(report.origins).toHaveLength(TOP_N);
    // past the in-memory bound, the last 50 distinct origins were summed as one: now the top entry
    expect(report.origins[0]).toMatchObject({ origin: OVERFLOW_ORIGIN, count: EXTRA });
    // the most frequent real origins (the pirate's, and none at all) are still kept
    expect(report.origins.map((o) => o.origin)).toEqual(expect.arrayContaining(['http://pirate.test', '(none)']));
  });
});

describe('the peak is of per-minute sums across gateways', () => {
  it('two gateways busy in different minutes peak at one of them, together in one minute at the sum', async () => {
    // Played with explicit clocks in a spare hour well in the past, on a separate prefix.
    const { UsageRecorder } = await import('../../server/src/usage/usage-recorder.js');
    const { createMetrics } = await import('../../server/src/metrics.js');
    const { createLogger } = await import('../../server/src/logger.js');
    const key = { digest: 'x'.repeat(64), ref: 'abcdef012345', name: 'Peak key', origins: null };
    const make = () =>
      new UsageRecorder({
        redis: redis.client,
        prefix: 'peak',
        config: config.usage,
        logger: createLogger('silent'),
        metrics: createMetrics(),
        keys: () => [key],
      });
    const [g1, g2] = [make(), make()];
    const hour = Date.parse('2026-01-05T10:00:00Z');
    const at = (minute: number, second = 0) => hour + minute * 60_000 + second * 1000;
    // minute 1: 4 at g1 only; minute 2: 3 at g2 only → peak 4, not 7
    for (let i = 0; i < 4; i++) g1.connected(`g1-${i}`, key, undefined);
    await g1.flush(at(1, 10));
    for (let i = 0; i < 4; i++) g1.disconnected(`g1-${i}`);
    await g1.flush(at(1, 20));
    await g1.flush(at(2, 1));
    for (let i = 0; i < 3; i++) g2.connected(`g2-${i}`, key, undefined);
    await g2.flush(at(2, 30));
    const day = (await g1.report({ from: '2026-01-05', to: '2026-01-05' }, at(2, 40))).keys[0]!;
    expect(day.peakViewers).toBe(4);
    // minute 3: 2 at g1 and the 3 at g2 → 5
    for (let i = 0; i < 2; i++) g1.connected(`g1b-${i}`, key, undefined);
    await g1.flush(at(3, 5));
    await g2.flush(at(3, 6));
    const later = (await g2.report({ from: '2026-01-05', to: '2026-01-05' }, at(3, 10))).keys[0]!;
    expect(later.peakViewers).toBe(5);
    expect(later.viewersNow).toBe(5);
    expect(later.connects).toBe(9);
  });
});

describe('a flush while Redis is away', () => {
  it('keeps the counts for the next flush', async () => {
    const { Redis } = await import('ioredis');
    const { UsageRecorder } = await import('../../server/src/usage/usage-recorder.js');
    const { createMetrics } = await import('../../server/src/metrics.js');
    const { createLogger } = await import('../../server/src/logger.js');
    // not connected yet, and no offline queue: every command fails at once, as with Redis away
    const away = new Redis(redis.url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    away.on('error', () => undefined);
    const key = { digest: 'y'.repeat(64), ref: 'fedcba987654', name: 'Outage key', origins: null };
    const g = new UsageRecorder({
      redis: away,
      prefix: 'outage',
      config: config.usage,
      logger: createLogger('silent'),
      metrics: createMetrics(),
      keys: () => [key],
    });
    try {
      g.connected('s1', key, undefined);
      g.connected('s2', key, undefined);
      g.delivered([new Set(['s1', 's2'])]);
      g.refused(key, 'http://elsewhere.test', undefined);
      await g.flush();
      expect(await redis.client.keys('outage:*')).toEqual([]);
      // (the failed command set it connecting; wait until it is there)
      await away.connect().catch(() => undefined);
      const { waitReady } = await import('../../server/src/redis/connection.js');
      await waitReady(away);
      await g.flush();
      const k = (await g.report({ from: today(), to: today() })).keys[0]!;
      expect([k.viewersNow, k.peakViewers, k.connects, k.deliveries, k.refused.total]).toEqual([2, 2, 2, 2, 1]);
    } finally {
      away.disconnect();
    }
  });
});

describe('GET /api/usage: admins only', () => {
  it('401 without a token, 403 for an editor without admin, 400 for a bad range', async () => {
    expect((await fetch(`${a.url}/api/usage`)).status).toBe(401);
    const plain = await usage(a, '', EDITOR_TOKEN);
    expect(plain.status).toBe(403);
    expect(plain.body.error?.code).toBe('forbidden');
    expect((await usage(a, '?from=2026-13-01')).status).toBe(400);
    expect((await usage(a, '?from=2026-02-02&to=2026-02-01')).status).toBe(400);
    expect((await usage(a, '?from=2020-01-01&to=2026-01-01')).status).toBe(400);
    expect((await usage(a, '?key=Acme%20Trading')).body.keys.map((k) => k.name)).toEqual(['Acme Trading']);
  });
});

describe('npm run usage: the CSV export', () => {
  it('matches the API, row for row', async () => {
    await flushBoth();
    const day = today();
    const api = (await usage(a, `?from=${day}&to=${day}`)).body;
    const configFile = writeConfigFile(rawConfig);
    const child = spawn('npm', ['run', '-s', 'usage', '--', '--from', day, '--to', day, '--format', 'csv'], {
      cwd: ROOT,
      env: { ...process.env, REDIS_URL: redis.url, TICKER_CONFIG: configFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(err).toBe('');
    expect(code).toBe(0);
    const [header, ...rows] = out
      .trimEnd()
      .split('\r\n')
      .map((l) => l.split(','));
    expect(header).toEqual([...CSV_HEADER]);
    const expected: string[][] = [];
    for (const k of api.keys) {
      const d = k.days[0]!;
      expected.push([
        day,
        k.ref,
        k.name,
        k.kind,
        '',
        String(d.peakViewers),
        String(d.connects),
        String(d.deliveries),
        String(d.refused),
        d.lastSeen ?? '',
      ]);
      for (const o of k.origins) {
        const od = o.days[0]!;
        expected.push([
          day,
          k.ref,
          k.name,
          k.kind,
          o.origin,
          String(od.peakViewers),
          String(od.connects),
          String(od.deliveries),
          '',
          od.lastSeen ?? '',
        ]);
      }
    }
    expect(rows).toEqual(expected);
    // and the figures are the ones this file produced
    const widgetRow = rows.find((r) => r[2] === 'Example widget' && r[4] === '')!;
    expect(Number(widgetRow[5])).toBe(4);
    expect(Number(widgetRow[8])).toBeGreaterThan(10_000);
  });

  it('refuses a bad range with a message and exit code 2', async () => {
    const child = spawn('npm', ['run', '-s', 'usage', '--', '--from', 'yesterday'], {
      cwd: ROOT,
      env: { ...process.env, REDIS_URL: redis.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(err).toContain('--from: must be a UTC day');
  });
});

/** Every usage key and value in Redis, as text. */
async function dumpUsage(client: Redis): Promise<string> {
  const parts: string[] = [];
  for (const k of await client.keys('ticker:usage:*')) {
    parts.push(k);
    const type = await client.type(k);
    if (type === 'hash') parts.push(JSON.stringify(await client.hgetall(k)));
    else if (type === 'zset') parts.push(JSON.stringify(await client.zrange(k, 0, -1, 'WITHSCORES')));
  }
  return parts.join('\n');
}
