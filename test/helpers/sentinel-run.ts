// The product on Redis Sentinel (a primary, two replicas, three Sentinels; real processes). A
// steady stream is published while the primary is SIGKILLed: the product
// follows the failover by itself, within RECOVERY_BOUND_MS, and answers 503 only meanwhile. Each durability runs in its own test file (own process), so
// no connection of one run can meet the other's freshly started servers on a reused port.
import { afterEach, expect } from 'vitest';
import type { Durability } from '../../server/src/redis/redis-topology.js';
import type { RunningTicker } from '../../server/src/ticker.js';
import { ALL_KEY } from './config.js';
import { testKeys } from './keys.js';
import { postHeadline } from './clients.js';
import { startSentinelSet, type SentinelSet } from './redis-topologies.js';
import { ResumingClient } from './resuming-client.js';
import { startInProcess } from './stack.js';
import { until } from './wait.js';

let set: SentinelSet | null = null;

/** Registers the clean-up; call once at the top of a test file. */
export function cleanUpSentinelRuns(): void {
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const t of tickers.splice(0)) await t.close();
    await set?.stop();
    set = null;
  });
}
const tickers: RunningTicker[] = [];
const clients: ResumingClient[] = [];

export interface Outcome {
  accepted: string[];
  /** accepted (202) but missing from the feed at the end */
  lost: string[];
  /** from the fault to the first 202 of a request sent after it */
  recoveryMs: number;
  /** from the fault to the last refused answer (503 or a network error): the window clients saw */
  windowMs: number;
  /** 503 answers while the failover ran */
  refused: number;
  /** POSTs that failed with a network error (none expected: the ticker itself stays up) */
  networkErrors: number;
  /** median POST → 202 before the failover, ms (what durability costs per publish) */
  medianAcceptMs: number;
}

/** Sentinel's down-after is 1 s here: a failover that takes longer than this is a failure. */
export const RECOVERY_BOUND_MS = 15_000;

interface Refusal {
  sentAt: number;
  answeredAt: number;
  what: string;
}

export async function publishThroughFailover(durability: Durability): Promise<Outcome> {
  set = await startSentinelSet(2);
  const all = await startInProcess(set.topology, { durability });
  const gateway = await startInProcess(set.topology, { durability, role: 'gateway' });
  tickers.push(gateway, all);
  const urls = [all.url, gateway.url];
  clients.push(new ResumingClient(urls, ALL_KEY, 0), new ResumingClient(urls, ALL_KEY, 1));
  for (const c of clients) c.start();

  const accepted: string[] = [];
  const acceptMs: number[] = [];
  const refusals: Refusal[] = [];
  let faultAt = 0;
  let recoveredAt = 0;
  const publish = async (text: string, key: string): Promise<string> => {
    const firstSentAt = Date.now();
    for (let attempt = 0; ; attempt++) {
      const sentAt = Date.now();
      if (sentAt - firstSentAt > RECOVERY_BOUND_MS) {
        const last = refusals.slice(-3).map((r) => `${r.what} at +${r.answeredAt - faultAt} ms`);
        throw new Error(
          `"${text}" not accepted within ${RECOVERY_BOUND_MS} ms (fault at +${faultAt - firstSentAt} ms; ${last.join(', ')})`,
        );
      }
      const res = await postHeadline(urls[attempt % 2]!, { text, idempotencyKey: key }).catch((err: unknown) => err as Error);
      if (!(res instanceof Error) && res.status === 202) {
        if (faultAt === 0 && attempt === 0) acceptMs.push(Date.now() - sentAt);
        // Recovered: the first request sent after the fault is accepted.
        if (faultAt > 0 && sentAt > faultAt && recoveredAt === 0) recoveredAt = Date.now();
        return res.json.id!;
      }
      // Only "try again" is acceptable while the primary is away, never a lost 202; network
      // errors are counted and must fall in the failover window like the 503s (checked below).
      if (!(res instanceof Error)) expect(res.status).toBe(503);
      refusals.push({
        sentAt,
        answeredAt: Date.now(),
        what: res instanceof Error ? `network error: ${res.message}` : `503 ${res.json.error?.code}`,
      });
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stream = (async () => {
    for (let i = 0; i < 80; i++) {
      accepted.push(await publish(`sentinel ${durability} ${i}`, `s-${durability}-${i}`));
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  await until(() => accepted.length >= 25, '25 accepted before the failover', 30_000);
  const primary = await set.primary();
  faultAt = Date.now();
  await primary.kill();
  await stream;
  // The old primary comes back and the Sentinels make it a replica of the new one.
  await primary.start();
  const back = primary.client();
  await until(async () => ((await back.call('ROLE')) as [string])[0] === 'slave', 'the old primary rejoins as a replica', 30_000, 100);
  back.disconnect();

  // The worker drains what was queued; under durability "primary" some may never come.
  let head = await servedHead(set);
  let stableSince = Date.now();
  await until(
    async () => {
      const now = await servedHead(set!);
      if (now !== head) [head, stableSince] = [now, Date.now()];
      return head >= 80 || Date.now() - stableSince > 15_000;
    },
    'the worker has drained the queue',
    60_000,
    100,
  );
  for (const c of clients) await c.reach(head, 60_000);
  const lost = new Set(accepted);
  for (const c of clients) {
    expect(c.violations).toEqual([]);
    const seqs = c.delivered.map((h) => h.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0]! + i));
  }
  for (const h of clients[0]!.delivered) lost.delete(h.id);
  // Both clients saw the same feed.
  expect(clients[1]!.delivered.map((h) => [h.seq, h.id])).toEqual(
    clients[0]!.delivered.slice(-clients[1]!.delivered.length).map((h) => [h.seq, h.id]),
  );
  // Refusals only while the failover ran: none answered before the fault, none long after it.
  expect(refusals.filter((r) => r.answeredAt < faultAt)).toEqual([]);
  const windowMs = refusals.length === 0 ? 0 : Math.max(...refusals.map((r) => r.answeredAt)) - faultAt;
  expect(windowMs).toBeLessThan(RECOVERY_BOUND_MS);
  expect(recoveredAt).toBeGreaterThan(faultAt);
  const recoveryMs = recoveredAt - faultAt;
  expect(recoveryMs).toBeLessThan(RECOVERY_BOUND_MS);
  const sorted = [...acceptMs].sort((a, b) => a - b);
  return {
    accepted,
    lost: [...lost],
    recoveryMs,
    windowMs,
    refused: refusals.filter((r) => r.what.startsWith('503')).length,
    networkErrors: refusals.filter((r) => !r.what.startsWith('503')).length,
    medianAcceptMs: sorted[Math.floor(sorted.length / 2)] ?? NaN,
  };
}

/** The line each Sentinel test prints: the figures docs/operations.md quotes. */
export function describeOutcome(durability: Durability, out: Outcome): string {
  return (
    `sentinel failover (primary SIGKILLed), durability ${durability}: ` +
    `202 in ${out.medianAcceptMs} ms (median before), first 202 ${out.recoveryMs} ms after the fault, ` +
    `refusals until ${out.windowMs} ms: ${out.refused} × 503, ${out.networkErrors} network errors; ` +
    `${out.lost.length} of ${out.accepted.length} accepted lost`
  );
}

/** The newest seq the feed serves, read from the current primary (the committed watermark under durability "replica"). */
async function servedHead(s: SentinelSet): Promise<number> {
  const c = (await s.primary()).client();
  try {
    const keys = testKeys();
    const [committed, seq] = await Promise.all([c.get(keys.committed), c.get(keys.seq)]);
    return Number(committed ?? seq ?? 0);
  } finally {
    c.disconnect();
  }
}
