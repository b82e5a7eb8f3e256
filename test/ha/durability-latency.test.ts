// What durability "replica" costs a headline, end to end: POST → 202 and POST → on a
// subscriber's screen, measured side by side with durability "primary" on the same primary and
// replica (two feeds, by prefix), the modes interleaved so both see the same machine load.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Durability } from '../../server/src/redis/redis-topology.js';
import type { RunningTicker } from '../../server/src/ticker.js';
import { ALL_KEY } from '../helpers/config.js';
import { Recorder, connect, postHeadline, subscribeOk, type TestSocket } from '../helpers/clients.js';
import { startReplicatedPair, type ReplicatedPair } from '../helpers/redis-topologies.js';
import { startInProcess } from '../helpers/stack.js';

const ROUNDS = 60;
let pair: ReplicatedPair;
const tickers: RunningTicker[] = [];
const sockets: TestSocket[] = [];

beforeAll(async () => {
  pair = await startReplicatedPair();
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.close();
  for (const t of tickers) await t.close();
  await pair?.stop();
});

interface Lane {
  durability: Durability;
  ticker: RunningTicker;
  recorder: Recorder;
  arrivedAt: Map<string, number>;
  acceptMs: number[];
  deliverMs: number[];
  /** delivered while the replica did not yet hold the event */
  aheadOfReplica: number;
}

async function lane(durability: Durability): Promise<Lane> {
  const ticker = await startInProcess(pair.url, { durability, prefix: `lat-${durability}` });
  tickers.push(ticker);
  const socket = await connect(ticker.url, ALL_KEY);
  sockets.push(socket);
  await subscribeOk(socket, { topics: ['*'] });
  const arrivedAt = new Map<string, number>();
  socket.on('headline', (h) => arrivedAt.set(h.id, performance.now()));
  return { durability, ticker, recorder: new Recorder(socket), arrivedAt, acceptMs: [], deliverMs: [], aheadOfReplica: 0 };
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;
const fmt = (xs: number[]) => `median ${pct(xs, 50).toFixed(1)} ms, p95 ${pct(xs, 95).toFixed(1)} ms`;

describe('the latency cost of durability "replica"', () => {
  it('POST → 202 and POST → delivery, both modes interleaved; under "replica" nothing is delivered before the replica has it', async () => {
    const lanes = [await lane('primary'), await lane('replica')];
    const replica = pair.replica.client();
    try {
      for (let i = 0; i < ROUNDS; i++) {
        for (const l of lanes) {
          const sentAt = performance.now();
          const res = await postHeadline(l.ticker.url, { text: `latency ${l.durability} ${i}`, topics: ['lat'] });
          expect(res.status).toBe(202);
          l.acceptMs.push(performance.now() - sentAt);
          const got = await l.recorder.count(i + 1);
          expect(got[i]!.id).toBe(res.json.id);
          l.deliverMs.push(l.arrivedAt.get(res.json.id!)! - sentAt);
          // Asked after the delivery: under "replica" the event must already be there.
          const onReplica = await replica.xrange(`lat-${l.durability}:log`, `${got[i]!.seq}-0`, `${got[i]!.seq}-0`);
          if (onReplica.length === 0) l.aheadOfReplica++;
        }
      }
    } finally {
      replica.disconnect();
    }
    const [primary, durable] = lanes as [Lane, Lane];
    expect(durable.aheadOfReplica).toBe(0);
    // A sensible ceiling on a local replica, even on a loaded machine: WAIT is one round trip.
    expect(pct(durable.deliverMs, 50)).toBeLessThan(250);
    for (const l of lanes) {
      console.info(
        `durability ${l.durability}, ${ROUNDS} headlines one at a time: POST → 202 ${fmt(l.acceptMs)}; POST → delivery ${fmt(l.deliverMs)}`,
      );
    }
    const cost = pct(durable.deliverMs, 50) - pct(primary.deliverMs, 50);
    console.info(`durability replica costs ${cost.toFixed(1)} ms at the median, POST → delivery`);
  }, 120_000);
});
