import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Headline, SubscribeRequest } from '@headline-ticker/sdk/protocol';
import { parseTickerConfig, type TickerConfig } from '../../server/src/config/ticker-config.js';
import { sha256Hex } from '../../server/src/access/access-registry.js';
import { EDITOR_TOKEN } from '../helpers/config.js';
import { Recorder, connect, postHeadline, subscribe, subscribeOk, type TestSocket } from '../helpers/clients.js';
import { useStack } from '../helpers/harness.js';
import { startProcess, writeConfigFile } from '../helpers/stack.js';
import { until, waitFor } from '../helpers/wait.js';

const DELAY_S = 2;
const KEYS = {
  all: { key: 'sdk_all_topics', topics: ['*'] },
  energy: { key: 'sdk_energy_only', topics: ['energy'] },
  polEnergy: { key: 'sdk_politics_energy', topics: ['politics', 'energy'] },
  demo: { key: 'demo_delayed_all', topics: ['*'], delaySeconds: DELAY_S },
  demoEnergy: { key: 'demo_delayed_energy', topics: ['energy'], delaySeconds: DELAY_S },
} as const;
type KeyName = keyof typeof KEYS;

const config = (extra: Partial<Record<keyof TickerConfig, unknown>> = {}) =>
  parseTickerConfig(
    {
      editors: [{ name: 'desk', token: EDITOR_TOKEN }],
      keys: Object.entries(KEYS).map(([name, k]) =>
        // One key is given as a hash only, as an operator would keep it.
        name === 'polEnergy' ? { ...k, key: undefined, keySha256: sha256Hex(k.key), name } : { ...k, name },
      ),
      ...extra,
    },
    '(access test)',
  );

const stack = useStack({ ticker: { config: config() } });

const sockets: TestSocket[] = [];
const open = async (key: string, url = stack.ticker.url) => {
  const s = await connect(url, key);
  sockets.push(s);
  return s;
};

afterAll(async () => {
  for (const s of sockets) s.close();
});

/** The licence rule, written independently of the server: entitled, then matching the filter. */
function expected(all: Headline[], key: KeyName, filter: SubscribeRequest): number[] {
  const licensed = KEYS[key].topics as readonly string[];
  return all
    .filter((h) => licensed.includes('*') || h.topics.some((t) => licensed.includes(t)))
    .filter((h) => {
      const topics = filter.topics ?? [];
      const symbols = filter.symbols ?? [];
      if (topics.includes('*') || (topics.length === 0 && symbols.length === 0)) return true;
      const allowed = topics.filter((t) => licensed.includes('*') || licensed.includes(t));
      return h.topics.some((t) => allowed.includes(t)) || h.symbols.some((s) => symbols.includes(s));
    })
    .map((h) => h.seq);
}

describe('no leaks: every socket and history call gets exactly its licensed set', () => {
  it('across keys, filters, since-replays and delays', async () => {
    const filters: Record<string, SubscribeRequest> = {
      none: {},
      energy: { topics: ['energy'] },
      forbidden: { topics: ['sports'] },
      symbol: { symbols: ['GAZP'] },
      mixed: { topics: ['politics', 'sports'], symbols: ['AAPL'] },
    };
    const watchers: { key: KeyName; filter: string; rec: Recorder; ackSeqs: number[]; refused?: string[] }[] = [];
    for (const key of Object.keys(KEYS) as KeyName[]) {
      for (const [name, filter] of Object.entries(filters)) {
        const s = await open(KEYS[key].key);
        const rec = new Recorder(s);
        const ack = await subscribeOk(s, { ...filter, limit: 0 });
        watchers.push({ key, filter: name, rec, ackSeqs: ack.headlines.map((h) => h.seq), refused: ack.refused?.topics });
      }
    }
    const energyForbidden = watchers.find((w) => w.key === 'energy' && w.filter === 'forbidden')!;
    expect(energyForbidden.refused).toEqual(['sports']);

    const topicsCycle = [['energy'], ['politics'], ['sports'], ['energy', 'politics'], []];
    const symbolsCycle = [['GAZP'], [], ['AAPL'], [], ['GAZP', 'AAPL'], []];
    const all = await open(KEYS.all.key);
    const allRec = new Recorder(all);
    await subscribeOk(all, { limit: 0 });
    const N = 150;
    for (let i = 0; i < N; i++) {
      await postHeadline(stack.ticker.url, { text: `mixed ${i}`, topics: topicsCycle[i % 5]!, symbols: symbolsCycle[i % 6]! });
    }
    const published = await allRec.count(N);

    const since = published[N / 2]!.seq;
    // Real-time keys: live sets now; delayed keys: after the delay has passed for the last one.
    const lastAt = Date.parse(published.at(-1)!.updatedAt);
    for (const w of watchers) {
      const want = expected(published, w.key, filters[w.filter]!);
      await until(() => w.rec.received.length >= want.length, `${w.key}/${w.filter} receives ${want.length}`, 15_000);
      expect(
        w.rec.received.map((h) => h.seq),
        `${w.key}/${w.filter}`,
      ).toEqual(want);
      expect(w.ackSeqs).toEqual([]);
    }
    // The delayed watchers had to wait for the last headline's delay (timing: see the next test).
    expect(Date.now()).toBeGreaterThanOrEqual(lastAt + DELAY_S * 1000);

    // A since-replay and a history call for every key and filter, from the middle.

    for (const key of Object.keys(KEYS) as KeyName[]) {
      for (const [name, filter] of Object.entries(filters)) {
        const replay = await subscribeOk(await open(KEYS[key].key), { ...filter, since });
        const want = expected(published, key, filter).filter((s) => s > since);
        expect(
          replay.headlines.map((h) => h.seq),
          `replay ${key}/${name}`,
        ).toEqual(want);
        const qs = new URLSearchParams({ since: String(since), limit: '1000' });
        if (filter.topics) qs.set('topics', filter.topics.join(','));
        if (filter.symbols) qs.set('symbols', filter.symbols.join(','));
        const res = await fetch(`${stack.ticker.url}/api/headlines?${qs}`, { headers: { authorization: `Bearer ${KEYS[key].key}` } });
        const body = (await res.json()) as { headlines: Headline[] };
        expect(
          body.headlines.map((h) => h.seq),
          `history ${key}/${name}`,
        ).toEqual(want);
      }
    }
  }, 60_000);
});

describe('delayed (demo) access', () => {
  it('each event reaches a delayed key its delay after publication, never before; history hides the young', async () => {
    const demo = await open(KEYS.demo.key);
    const rec = new Recorder(demo);
    const arrivals: number[] = [];
    demo.on('headline', () => arrivals.push(Date.now()));
    await subscribeOk(demo, { limit: 0 });
    const fast = await open(KEYS.all.key);
    const fastRec = new Recorder(fast);
    await subscribeOk(fast, { limit: 0 });
    await postHeadline(stack.ticker.url, { text: 'delayed one' });
    const [live] = await fastRec.count(1);
    const young = (await fetch(`${stack.ticker.url}/api/headlines?limit=5&key=${KEYS.demo.key}`).then((r) => r.json())) as {
      headlines: Headline[];
      seq: number;
    };
    expect(young.headlines.map((h) => h.text)).not.toContain('delayed one');
    expect(young.seq).toBeLessThan(live!.seq);
    const [late] = await rec.count(1, 10_000);
    expect(late!.seq).toBe(live!.seq);
    const due = Date.parse(live!.updatedAt) + DELAY_S * 1000;
    expect(arrivals[0]).toBeGreaterThanOrEqual(due);
    console.info(`delayed release ${arrivals[0]! - due} ms after due`);
    const grown = (await fetch(`${stack.ticker.url}/api/headlines?limit=5&key=${KEYS.demo.key}`).then((r) => r.json())) as {
      headlines: Headline[];
    };
    expect(grown.headlines.map((h) => h.text)).toContain('delayed one');
  });
});

describe('reload', () => {
  it('a removed key is cut off with reason "revoked" and refused from then on; changed entitlements apply', async () => {
    const doomed = await open(KEYS.demoEnergy.key);
    const changed = await open(KEYS.energy.key);
    const changedRec = new Recorder(changed);
    await subscribeOk(doomed, {});
    await subscribeOk(changed, { limit: 0 });
    const bye = waitFor<{ reason: string }>(doomed, 'bye');
    const gone = waitFor(doomed, 'disconnect');
    await stack.ticker.reload(
      parseTickerConfig(
        {
          editors: [{ name: 'desk', token: EDITOR_TOKEN }],
          keys: [
            { ...KEYS.all, name: 'all' },
            { key: KEYS.energy.key, name: 'energy now politics', topics: ['politics'] },
            { ...KEYS.demo, name: 'demo' },
          ],
        },
        '(reload)',
      ),
    );
    expect(await bye).toMatchObject({ reason: 'revoked' });
    await gone;
    await expect(connect(stack.ticker.url, KEYS.demoEnergy.key)).rejects.toThrow('unauthorized');
    await postHeadline(stack.ticker.url, { text: 'energy story', topics: ['energy'] });
    await postHeadline(stack.ticker.url, { text: 'politics story', topics: ['politics'] });
    await until(() => changedRec.received.length >= 1, 'the re-licensed socket gets the politics story');
    const marker = await open(KEYS.all.key);
    const markerRec = new Recorder(marker);
    await subscribeOk(marker, { limit: 0 });
    await postHeadline(stack.ticker.url, { text: 'politics marker', topics: ['politics'] });
    await markerRec.count(1);
    await until(() => changedRec.received.length >= 2, 'the marker arrives');
    expect(changedRec.received.map((h) => h.text)).toEqual(['politics story', 'politics marker']);
    await stack.ticker.reload(config());
  });
});

// A real process on the run's redis-server, under a feed of its own beside the file's (TICKER_PREFIX).
describe('reload in a real process', () => {
  it('a reload with an invalid file keeps the old config and says why (a real process, SIGHUP)', async () => {
    const path = writeConfigFile(config());
    const gw = await startProcess('gateway', {
      REDIS_URL: stack.redis.url,
      TICKER_PREFIX: `${stack.prefix}-own`,
      TICKER_CONFIG: path,
      TICKER_ROLE: 'gateway',
    });
    try {
      writeFileSync(path, JSON.stringify({ keys: [{ key: 'short', name: 'x' }] }));
      gw.child.kill('SIGHUP');
      await until(() => gw.output().includes('config reload failed'), 'the failed reload is logged');
      expect(gw.output()).toMatch(/keys\.0\.key: must be at least 8 characters/u);
      const s = await open(KEYS.all.key, gw.url);
      expect(s.connected).toBe(true);
      expect(gw.output()).not.toContain(KEYS.all.key);
    } finally {
      await gw.kill('SIGKILL');
    }
  });
});

describe('limits', () => {
  it('failed authentications per address → 429 with Retry-After for the next wrong one; a right token still passes', async () => {
    const strict = await stack.startTicker({ prefix: 'strict', config: config({ limits: { authFailuresPerMinute: 3 } }) });
    try {
      for (let i = 0; i < 3; i++) expect((await postHeadline(strict.url, { text: 'x' }, 'ed_wrong_token')).status).toBe(401);
      const blocked = await postHeadline(strict.url, { text: 'x' }, 'ed_wrong_token');
      expect(blocked.status).toBe(429);
      expect(blocked.json.error?.code).toBe('rate_limited');
      const again = await fetch(`${strict.url}/api/headlines?key=wrong`);
      expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0);
      await expect(connect(strict.url, 'sdk_wrong_key')).rejects.toThrow('rate_limited');
      // others' failures never lock out a valid credential (docs/access.md)
      expect((await postHeadline(strict.url, { text: 'Right token' }, EDITOR_TOKEN)).status).toBe(202);
      (await connect(strict.url, KEYS.all.key)).close();
    } finally {
      await strict.close();
    }
  });

  it('history requests per key → 429 with Retry-After; other keys unaffected', async () => {
    const strict = await stack.startTicker({ prefix: 'hist', config: config({ limits: { historyPerMinute: 2 } }) });
    try {
      const get = (key: string) => fetch(`${strict.url}/api/headlines?key=${key}`);
      expect((await get(KEYS.all.key)).status).toBe(200);
      expect((await get(KEYS.all.key)).status).toBe(200);
      const third = await get(KEYS.all.key);
      expect(third.status).toBe(429);
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await get(KEYS.energy.key)).status).toBe(200);
    } finally {
      await strict.close();
    }
  });

  it('connections per key, across gateways → connect_error "too_many_connections"; a freed slot is reusable', async () => {
    const capped = config();
    capped.keys.push({ ...capped.keys[0]!, key: 'sdk_capped_key', name: 'capped', maxConnections: 2 });
    const a = await stack.startTicker({ prefix: 'cap', config: capped });
    const b = await stack.startTicker({ prefix: 'cap', config: capped });
    try {
      const one = await connect(a.url, 'sdk_capped_key');
      const two = await connect(b.url, 'sdk_capped_key');
      await expect(connect(a.url, 'sdk_capped_key')).rejects.toThrow('too_many_connections');
      await expect(connect(b.url, 'sdk_capped_key')).rejects.toThrow('too_many_connections');
      one.close();
      // The release reaches Redis asynchronously; once it has, a new connection is admitted.
      await until(async () => {
        try {
          (await connect(b.url, 'sdk_capped_key')).close();
          return true;
        } catch (err) {
          expect((err as Error).message).toBe('too_many_connections');
          return false;
        }
      }, 'a slot frees up');
      two.close();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('socket message floods are answered { ok:false, rate_limited }, not served', async () => {
    const strict = await stack.startTicker({ prefix: 'flood', config: config({ limits: { socketMessagesPer10s: 3 } }) });
    try {
      const s = await connect(strict.url, KEYS.all.key);
      const acks = [];
      for (let i = 0; i < 5; i++) acks.push(await subscribe(s, { limit: 0 }));
      expect(acks.map((a) => a.ok)).toEqual([true, true, true, false, false]);
      expect(acks[3]).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
      s.close();
    } finally {
      await strict.close();
    }
  });
});
