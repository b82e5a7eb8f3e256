// The next page of a replay is not charged as a new subscribe, but only once: a continuation
// pipelined many times (or sent before its page has been answered) is charged like any
// subscribe, per socket and per address, so it cannot be used to replay the log for free.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Headline, SubscribeOk } from '@headline-ticker/sdk/protocol';
import type { RunningTicker } from '../../server/src/ticker.js';
import { ALL_KEY, testConfig } from '../helpers/config.js';
import { connect, subscribe, subscribeOk, type TestSocket } from '../helpers/clients.js';
import { useStack } from '../helpers/harness.js';
import { startInProcess } from '../helpers/stack.js';
import { fillLog } from './fill-log.js';

// The run's shared redis-server, under a key prefix of this file's own.
const stack = useStack({ ticker: false });

const BACKLOG = 6000;
const PER_SOCKET = 5;
const PER_ADDRESS = 8;

describe('replay continuations', () => {
  let ticker: RunningTicker;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    await fillLog(stack.redis.client, BACKLOG, { prefix: stack.prefix });
    ticker = await startInProcess(stack.redis.url, {
      prefix: stack.prefix,
      config: testConfig({
        limits: { socketMessagesPer10s: PER_SOCKET, subscribesPerAddressPer10s: PER_ADDRESS, socketEventsPerAddressPer10s: 10_000 },
      }),
    });
  }, 120_000);
  afterAll(async () => {
    for (const s of sockets) s.close();
    await ticker?.close();
  });
  const open = async () => {
    const s = await connect(ticker.url, ALL_KEY);
    sockets.push(s);
    return s;
  };

  it('paging one page at a time is never charged: 12 pages under a limit of 5', async () => {
    const s = await open();
    const got: Headline[] = [];
    let at = 0;
    let pages = 0;
    for (; pages < 100; pages++) {
      const ack = await subscribeOk(s, { since: at });
      got.push(...ack.headlines);
      at = ack.seq;
      if (ack.more !== true) break;
    }
    expect(pages).toBeGreaterThan(PER_SOCKET);
    expect(got.map((h) => h.seq)).toEqual(Array.from({ length: BACKLOG }, (_, i) => i + 1));
    s.close();
  }, 60_000);

  it('a continuation pipelined 100 times on one socket is served once, then charged', async () => {
    const s = await open();
    const first = await subscribeOk(s, { since: 0 });
    expect(first.more).toBe(true);
    const answers = await Promise.all(Array.from({ length: 100 }, () => subscribe(s, { since: first.seq })));
    const served = answers.filter((a) => a.ok).length;
    // the exempt continuation, then at most the socket's rate (the first subscribe took one)
    expect(served).toBeLessThanOrEqual(1 + PER_SOCKET);
    for (const a of answers) if (!a.ok) expect(a.error.code).toBe('rate_limited');
    s.close();
  }, 60_000);

  it('continuations pipelined across sockets of one address are held to the address rate', async () => {
    // a second gateway on the same log: its address counters start afresh
    const other = await startInProcess(stack.redis.url, {
      prefix: stack.prefix,
      config: testConfig({
        limits: { socketMessagesPer10s: 100, subscribesPerAddressPer10s: PER_ADDRESS, socketEventsPerAddressPer10s: 10_000 },
      }),
    });
    try {
      const all = await Promise.all(Array.from({ length: 6 }, () => connect(other.url, ALL_KEY)));
      sockets.push(...all);
      const firsts: SubscribeOk[] = [];
      for (const s of all) firsts.push(await subscribeOk(s, { since: 0, topics: ['nomatch'] }));
      for (const f of firsts) expect(f.more).toBe(true);
      const answers = await Promise.all(
        all.flatMap((s, i) => Array.from({ length: 20 }, () => subscribe(s, { since: firsts[i]!.seq, topics: ['nomatch'] }))),
      );
      // one exempt continuation per socket; the rest share what the first subscribes left of the address's rate
      expect(answers.filter((a) => a.ok).length).toBeLessThanOrEqual(PER_ADDRESS);
    } finally {
      await other.close();
    }
  }, 60_000);
});
