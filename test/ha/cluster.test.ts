// The product on a real Redis Cluster (three primaries, three replicas, local ports): the core
// cases of the e2e suite, then the primary that owns the feed's slot fails over mid-stream.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Headline } from '@headline-ticker/sdk/protocol';
import type { RunningTicker } from '../../server/src/ticker.js';
import { ALL_KEY, EDITOR_TOKEN } from '../helpers/config.js';
import { Recorder, connect, postHeadline, subscribeOk } from '../helpers/clients.js';
import { startCluster, type TestCluster } from '../helpers/redis-topologies.js';
import { ResumingClient } from '../helpers/resuming-client.js';
import { startInProcess } from '../helpers/stack.js';
import { until, waitFor } from '../helpers/wait.js';
import { testConfig } from '../helpers/config.js';

let cluster: TestCluster;
let ticker: RunningTicker;
let second: RunningTicker;

beforeAll(async () => {
  cluster = await startCluster();
  const config = testConfig({
    keys: [
      { key: ALL_KEY, name: 'all', topics: ['*'] },
      { key: 'sdk_capped', name: 'capped', topics: ['*'], maxConnections: 1 },
    ],
  });
  ticker = await startInProcess(cluster.topology, { config });
  // A second gateway on the same cluster: fan-out scales in the gateways.
  second = await startInProcess(cluster.topology, { config, role: 'gateway' });
}, 60_000);

afterAll(async () => {
  await second?.close();
  await ticker?.close();
  await cluster?.stop();
});

const api = (path: string, init: RequestInit = {}) =>
  fetch(`${ticker.url}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${EDITOR_TOKEN}`,
      'content-type': 'application/json',
      ...(init.headers as Record<string, string> | undefined),
    },
  });

describe('on a Redis Cluster', () => {
  it('keeps every key of the feed on one slot (one hash tag), BullMQ queue included', async () => {
    await postHeadline(ticker.url, { text: 'slot probe', topics: ['probe'] });
    const slots = new Set<number>();
    let keys = 0;
    for (const node of cluster.nodes) {
      const c = node.client();
      try {
        const role = (await c.call('ROLE')) as [string];
        if (role[0] !== 'master') continue;
        let cursor = '0';
        do {
          const [next, batch] = await c.scan(cursor, 'COUNT', 1000);
          cursor = next;
          for (const k of batch) {
            keys++;
            slots.add(Number(await c.call('CLUSTER', 'KEYSLOT', k)));
          }
        } while (cursor !== '0');
      } finally {
        c.disconnect();
      }
    }
    expect(keys).toBeGreaterThan(5);
    expect([...slots]).toEqual([await clusterKeyslot('ticker')]);
  });

  it('publish → subscribe on both gateways, replay by since, correction and withdrawal', async () => {
    const a = await connect(ticker.url, ALL_KEY);
    const b = await connect(second.url, ALL_KEY);
    const ackA = await subscribeOk(a, { topics: ['energy'] });
    await subscribeOk(b, { topics: ['energy'] });
    const ra = new Recorder(a);
    const rb = new Recorder(b);
    const res = await postHeadline(ticker.url, { text: 'Cluster flash', topics: ['energy'], urgency: 'flash' });
    expect(res.status).toBe(202);
    const id = res.json.id!;
    const [ha] = await ra.count(1);
    const [hb] = await rb.count(1);
    expect(ha).toMatchObject({ id, text: 'Cluster flash', seq: ackA.seq + 1 });
    expect(hb).toEqual(ha);

    expect(
      (await api(`/api/headlines/${id}`, { method: 'PATCH', body: JSON.stringify({ text: 'Cluster flash, corrected' }) })).status,
    ).toBe(202);
    expect((await api(`/api/headlines/${id}`, { method: 'DELETE' })).status).toBe(202);
    const events = await rb.count(3);
    expect(events.map((h) => [h.seq, h.status, h.version])).toEqual([
      [ha!.seq, 'published', 1],
      [ha!.seq + 1, 'corrected', 2],
      [ha!.seq + 2, 'withdrawn', 3],
    ]);

    const replayer = await connect(second.url, ALL_KEY);
    const replay = await subscribeOk(replayer, { topics: ['energy'], since: ackA.seq });
    expect(replay.headlines.map((h) => h.seq)).toEqual(events.map((h) => h.seq));
    const history = await fetch(`${ticker.url}/api/headlines?since=${ackA.seq}&topics=energy`, {
      headers: { authorization: `Bearer ${ALL_KEY}` },
    });
    expect(((await history.json()) as { headlines: Headline[] }).headlines.map((h) => h.status)).toEqual([
      'published',
      'corrected',
      'withdrawn',
    ]);
    for (const s of [a, b, replayer]) s.close();
  });

  it('an embargoed headline is published when due, not before', async () => {
    const s = await connect(second.url, ALL_KEY);
    await subscribeOk(s, { topics: ['embargo'] });
    const due = Date.now() + 1500;
    const res = await postHeadline(ticker.url, {
      text: 'Embargoed on the cluster',
      topics: ['embargo'],
      embargoUntil: new Date(due).toISOString(),
    });
    expect(res.json.status).toBe('scheduled');
    const h = await waitFor<Headline>(s, 'headline', 15_000);
    expect(Date.now()).toBeGreaterThanOrEqual(due);
    expect(h.text).toBe('Embargoed on the cluster');
    s.close();
  });

  it('a maxConnections cap is counted across both gateways', async () => {
    const first = await connect(ticker.url, 'sdk_capped');
    await expect(connect(second.url, 'sdk_capped')).rejects.toThrow('too_many_connections');
    first.close();
    await until(
      async () => {
        try {
          (await connect(second.url, 'sdk_capped')).close();
          return true;
        } catch {
          return false;
        }
      },
      'the slot is free again',
      10_000,
      100,
    );
  });

  it('history requests per key are limited across both gateways: the third in a minute → 429 with Retry-After', async () => {
    // A feed of its own (its own slot) with a tight limit; the limiter's counters live on the cluster.
    const config = testConfig({ limits: { historyPerMinute: 2 } });
    const strictA = await startInProcess(cluster.topology, { config, prefix: 'strict' });
    const strictB = await startInProcess(cluster.topology, { config, prefix: 'strict', role: 'gateway' });
    try {
      const get = (t: RunningTicker) => fetch(`${t.url}/api/headlines`, { headers: { authorization: `Bearer ${ALL_KEY}` } });
      expect((await get(strictA)).status).toBe(200);
      expect((await get(strictB)).status).toBe(200);
      const third = await get(strictA);
      expect(third.status).toBe(429);
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
      const c = (await cluster.primaryOf(await clusterKeyslot('strict'))).client();
      try {
        expect((await c.keys('{strict}:limit:history*')).length).toBeGreaterThan(0);
      } finally {
        c.disconnect();
      }
    } finally {
      await strictB.close();
      await strictA.close();
    }
  });

  it('the primary owning the feed slot fails over mid-stream: every client ends gap-free, nothing lost or twice', async () => {
    const slot = await clusterKeyslot('ticker');
    const start = Number((await currentSeq()) ?? 0);
    const clients = [new ResumingClient([ticker.url, second.url], ALL_KEY, 0), new ResumingClient([second.url, ticker.url], ALL_KEY, 0)];
    for (const c of clients) c.start();
    const accepted: string[] = [];
    const publishing = (async () => {
      for (let i = 0; i < 60; i++) accepted.push(await publishReliably(`failover ${i}`, `fo-${i}`));
    })();
    await until(() => accepted.length >= 20, '20 published before the failover', 30_000);
    // A replica takes over the slot (as an operator or a managed service does on maintenance).
    const primary = await cluster.primaryOf(slot);
    const replica = await replicaOf(primary.port);
    const t0 = Date.now();
    const rc = replica.client();
    await rc.call('CLUSTER', 'FAILOVER');
    rc.disconnect();
    await until(async () => (await cluster.primaryOf(slot)).port === replica.port, 'the replica serves the slot', 20_000, 100);
    const switchedMs = Date.now() - t0;
    await publishing;
    // Refused only while the slot moved (and shortly after, while connections follow it).
    expect(refusedAt.filter((r) => r.at < t0)).toEqual([]);
    const windowMs = refusedAt.length === 0 ? 0 : Math.max(...refusedAt.map((r) => r.at)) - t0;
    expect(windowMs).toBeLessThan(15_000);
    const end = Number(await currentSeq());
    expect(end - start).toBeGreaterThanOrEqual(60);
    for (const c of clients) await c.reach(end, 60_000);
    for (const c of clients) {
      expect(c.violations).toEqual([]);
      const seqs = c.delivered.map((h) => h.seq);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0]! + i));
      const ids = new Set(c.delivered.map((h) => h.id));
      for (const id of accepted) expect(ids.has(id)).toBe(true);
      c.close();
    }
    const network = refusedAt.filter((r) => r.network).length;
    console.info(
      `cluster failover (CLUSTER FAILOVER): slot ${slot} moved in ${switchedMs} ms; refusals until ${windowMs} ms: ` +
        `${refusedAt.length - network} × 503, ${network} network errors; ${accepted.length} published, every one delivered`,
    );
  }, 120_000);
});

async function clusterKeyslot(tag: string): Promise<number> {
  const c = cluster.nodes[0]!.client();
  try {
    return Number(await c.call('CLUSTER', 'KEYSLOT', `{${tag}}`));
  } finally {
    c.disconnect();
  }
}

async function currentSeq(): Promise<string | null> {
  const slot = await clusterKeyslot('ticker');
  const c = (await cluster.primaryOf(slot)).client();
  try {
    return await c.get('{ticker}:seq');
  } finally {
    c.disconnect();
  }
}

async function replicaOf(primaryPort: number) {
  for (const n of cluster.nodes) {
    if (n.port === primaryPort) continue;
    const c = n.client();
    try {
      const role = (await c.call('ROLE')) as [string, string, number | string];
      if (role[0] === 'slave' && Number(role[2]) === primaryPort) return n;
    } finally {
      c.disconnect();
    }
  }
  throw new Error(`no replica of ${primaryPort}`);
}

/** When each refused POST was answered (a 503, or a network error), for the window check. */
const refusedAt: { at: number; network: boolean }[] = [];

/** POST until accepted (503 while the slot moves); the idempotency key makes retries safe. */
async function publishReliably(text: string, key: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const res = await postHeadline(ticker.url, { text, idempotencyKey: key }).catch((err: unknown) => err as Error);
    if (!(res instanceof Error) && res.status === 202) return res.json.id!;
    if (!(res instanceof Error)) expect(res.status).toBe(503);
    refusedAt.push({ at: Date.now(), network: res instanceof Error });
    await new Promise((r) => setTimeout(r, Math.min(25 * (attempt + 1), 250)));
  }
}
