import { describe, expect, it } from 'vitest';
import type { Headline } from '@headline-ticker/sdk/protocol';
import { RecentEvents } from '../../server/src/gateway/recent-events.js';
import type { LogEvent } from '../../server/src/log/log-event.js';
import { FeedLog, type UnsequencedEvent } from '../../server/src/log/feed-log.js';
import { useStack } from '../helpers/harness.js';

const stack = useStack({ ticker: false });

const TOPICS = ['energy', 'markets', 'tech', 'sport'];

/** A small seeded generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Appends `n` random events: new headlines, corrections (often moving topics) and withdrawals. */
async function randomLog(log: FeedLog, n: number, rnd: () => number): Promise<LogEvent[]> {
  const appended: LogEvent[] = [];
  const current = new Map<string, UnsequencedEvent>();
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  for (let i = 0; i < n; i++) {
    const live = [...current.values()].filter((e) => e.status !== 'withdrawn');
    const roll = rnd();
    const topics = TOPICS.filter(() => rnd() < 0.4);
    let ev: UnsequencedEvent;
    if (live.length === 0 || roll < 0.5) {
      ev = {
        id: `h${i}`,
        version: 1,
        status: 'published',
        text: `headline ${i}`,
        topics,
        symbols: [],
        urgency: 'routine',
        lang: 'en',
        source: 'desk',
        publishedAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:00.000Z',
      };
    } else {
      const prev = pick(live);
      ev =
        roll < 0.85
          ? { ...prev, version: prev.version + 1, text: `${prev.text} (corrected ${i})`, topics }
          : { ...prev, version: prev.version + 1, status: 'withdrawn' };
    }
    const res = await log.append({ opId: `op${i}`, expectedVersion: ev.version - 1, event: ev });
    // A trimmed log forgets the versions of headlines it dropped: those are not corrected again.
    if (res.kind === 'conflict') current.delete(ev.id);
    else {
      current.set(ev.id, ev);
      if (res.kind === 'appended') appended.push({ h: { ...ev, seq: res.seq }, prev: null });
    }
  }
  return appended;
}

describe("a snapshot from the relay's memory (RecentEvents.snapshot) against the log's (FeedLog.snapshot)", () => {
  // retention: the whole log; a log trimmed to its last 120 events
  it.each([
    { name: 'whole log', maxEvents: 100_000, seed: 17 },
    { name: 'trimmed log', maxEvents: 120, seed: 42 },
  ])('$name: wherever memory answers, it answers what the log does', async ({ name, maxEvents, seed }) => {
    const rnd = random(seed);
    const log = new FeedLog(stack.redis.client, stack.keysFor(name.replace(' ', '-')), { maxEvents, minAgeSeconds: 0 });
    // every event as a relay saw it (more than a trimmed log still holds)
    const everything = await randomLog(log, 400, rnd);
    const events = await log.range(0, '+', 10_000);
    const head = events.at(-1)!.h.seq;
    const logStart = (await log.oldestSeq())!;
    if (maxEvents < 400) expect(logStart).toBeGreaterThan(1);
    // Rings as relays hold them: one that saw the whole feed from seq 1 (more than a trimmed
    // log still holds), and small ones that reach back only part of the way.
    const rings = [100_000, 150, 40].map((capacity) => {
      const ring = new RecentEvents(capacity);
      for (const ev of everything) ring.push(ev);
      return ring;
    });
    let answered = 0;
    let compared = 0;
    for (let k = 0; k < 60; k++) {
      const topics = new Set(TOPICS.filter(() => rnd() < 0.5));
      const match = (h: Headline) => topics.size === 0 || h.topics.some((t) => topics.has(t));
      const limit = [1, 5, 10, 50, 500][k % 5]!;
      const upTo = k % 3 === 0 ? head : head - Math.floor(rnd() * 30);
      const expected = await log.snapshot(match, limit, upTo);
      for (const ring of rings) {
        for (const start of [null, logStart]) {
          compared++;
          const fromMemory =
            start === null
              ? ring.snapshot(match, limit, upTo, upTo - Math.floor(maxEvents / 2) + 1)
              : ring.snapshot(match, limit, upTo, start, true);
          if (fromMemory === null) continue;
          answered++;
          expect({ limit, upTo, topics: [...topics], start, fromMemory }).toEqual({
            limit,
            upTo,
            topics: [...topics],
            start,
            fromMemory: expected,
          });
        }
      }
    }
    // Not vacuous: memory answered most cases.
    expect(answered).toBeGreaterThan(compared / 2);
  });

  it('memory does not answer what it cannot prove: too few matches and no reach back to the log start', () => {
    const ring = new RecentEvents(10);
    const h = (seq: number, topics: string[]): Headline => ({
      id: `x${seq}`,
      seq,
      version: 1,
      status: 'published',
      text: `t${seq}`,
      topics,
      symbols: [],
      urgency: 'routine',
      lang: 'en',
      source: 'desk',
      publishedAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    });
    for (let seq = 5; seq <= 14; seq++) ring.push({ h: h(seq, seq % 2 ? ['a'] : ['b']), prev: null });
    const isA = (x: Headline) => x.topics.includes('a');
    expect(ring.snapshot(isA, 3, 14)?.map((x) => x.seq)).toEqual([9, 11, 13]);
    expect(ring.snapshot(isA, 6, 14)).toBeNull();
    expect(ring.snapshot(isA, 6, 14, 1, true)).toBeNull();
    expect(ring.snapshot(isA, 6, 14, 5)).toBeNull();
    expect(ring.snapshot(isA, 6, 14, 5, true)?.map((x) => x.seq)).toEqual([5, 7, 9, 11, 13]);
    expect(ring.snapshot(isA, 6, 14, 8, true)?.map((x) => x.seq)).toEqual([9, 11, 13]);
    expect(ring.snapshot(isA, 2, 14, 12)).toBeNull();
    expect(ring.snapshot(isA, 2, 20)).toBeNull();
  });
});
