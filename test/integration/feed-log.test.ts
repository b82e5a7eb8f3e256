import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { FeedLog, type UnsequencedEvent } from '../../server/src/log/feed-log.js';
import { useStack } from '../helpers/harness.js';
import { until } from '../helpers/wait.js';

const stack = useStack({ ticker: false });
const connections: Redis[] = [];

afterAll(async () => {
  for (const c of connections) c.disconnect();
});

const connection = () => {
  const c = new Redis(stack.redis.url);
  connections.push(c);
  return c;
};

const event = (id: string, text = `headline ${id}`): UnsequencedEvent => ({
  id,
  version: 1,
  status: 'published',
  text,
  topics: ['energy'],
  symbols: [],
  urgency: 'routine',
  lang: 'en',
  source: 'desk',
  publishedAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

describe('the atomic append', () => {
  it('under concurrent appenders on separate connections: seq strictly +1, log order = announcement order', async () => {
    const keys = stack.keysFor('conc');
    const sub = connection();
    const announced: number[] = [];
    sub.on('message', (_c, raw: string) => announced.push((JSON.parse(raw) as { e: { seq: number } }).e.seq));
    await sub.subscribe(keys.channel);
    const logs = Array.from({ length: 6 }, () => new FeedLog(connection(), keys, { maxEvents: 100_000, minAgeSeconds: 0 }));
    const results = await Promise.all(
      Array.from({ length: 600 }, (_, i) => logs[i % logs.length]!.append({ opId: `op-${i}`, expectedVersion: 0, event: event(`h${i}`) })),
    );
    const seqs = results.map((r) => (r.kind === 'appended' ? r.seq : -1)).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
    const logged = (await stack.redis.client.xrange(keys.log, '-', '+')).map(([id]) => Number.parseInt(id, 10));
    expect(logged).toEqual(seqs);
    await until(() => announced.length === 600, 'every append is announced');
    expect(announced).toEqual(seqs);
    // Each event's JSON carries its own seq and the fields as given.
    const first = JSON.parse((await stack.redis.client.xrange(keys.log, '-', '+', 'COUNT', 1))[0]![1][1]!) as { seq: number; text: string };
    expect(first.seq).toBe(1);
  });

  it('is idempotent per operation: a retried job appends nothing and returns the first seq', async () => {
    const log = new FeedLog(connection(), stack.keysFor('idem'), { maxEvents: 1000, minAgeSeconds: 0 });
    const a = await log.append({ opId: 'job-1', expectedVersion: 0, event: event('x') });
    const b = await log.append({ opId: 'job-1', expectedVersion: 0, event: event('x') });
    expect(a).toEqual({ kind: 'appended', seq: 1, hardDropped: 0 });
    expect(b).toEqual({ kind: 'duplicate', seq: 1 });
    expect(await log.currentSeq()).toBe(1);
  });

  it('refuses a version it did not expect, so concurrent corrections cannot both land on one version', async () => {
    const log = new FeedLog(connection(), stack.keysFor('ver'), { maxEvents: 1000, minAgeSeconds: 0 });
    await log.append({ opId: 'p', expectedVersion: 0, event: event('y') });
    const c1 = log.append({ opId: 'c1', expectedVersion: 1, event: { ...event('y', 'first fix'), version: 2, status: 'corrected' } });
    const c2 = log.append({ opId: 'c2', expectedVersion: 1, event: { ...event('y', 'second fix'), version: 2, status: 'corrected' } });
    const results = await Promise.all([c1, c2]);
    expect(results.map((r) => r.kind).sort()).toEqual(['appended', 'conflict']);
    expect(results.find((r) => r.kind === 'conflict')).toEqual({ kind: 'conflict', version: 2 });
    expect((await log.current('y'))?.version).toBe(2);
  });

  it('retention keeps at least maxEvents and drops only what is also older than minAge', async () => {
    const young = new FeedLog(connection(), stack.keysFor('young'), { maxEvents: 10, minAgeSeconds: 3600 });
    for (let i = 0; i < 30; i++) await young.append({ opId: `y${i}`, expectedVersion: 0, event: event(`y${i}`) });
    expect(await stack.redis.client.xlen(stack.keysFor('young').log)).toBe(30);

    const old = new FeedLog(connection(), stack.keysFor('old'), { maxEvents: 10, minAgeSeconds: 0 });
    for (let i = 0; i < 30; i++) await old.append({ opId: `o${i}`, expectedVersion: 0, event: event(`o${i}`) });
    expect(await stack.redis.client.xlen(stack.keysFor('old').log)).toBe(10);
    expect(await old.oldestSeq()).toBe(21);
    // A headline whose last event left the log leaves the current state with it.
    expect(await old.current('o0')).toBeNull();
    expect(await old.current('o29')).not.toBeNull();
    const replay = await old.readAfter(5, (ev) => ev.h, 100, 30);
    expect(replay.reset).toBe(true);
    const ok = await old.readAfter(20, (ev) => ev.h, 100, 30);
    expect(ok.headlines.map((h) => h.seq)).toEqual([21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
  });

  it('snapshot: latest matching headlines in their current version, withdrawn ones left out', async () => {
    const log = new FeedLog(connection(), stack.keysFor('snap'), { maxEvents: 1000, minAgeSeconds: 0 });
    await log.append({ opId: 'a', expectedVersion: 0, event: event('a') });
    await log.append({ opId: 'b', expectedVersion: 0, event: event('b') });
    await log.append({ opId: 'c', expectedVersion: 0, event: event('c') });
    await log.append({ opId: 'a2', expectedVersion: 1, event: { ...event('a', 'a fixed'), version: 2, status: 'corrected' } });
    await log.append({ opId: 'b2', expectedVersion: 1, event: { ...event('b'), version: 2, status: 'withdrawn' } });
    const snap = await log.snapshot(() => true, 10, await log.currentSeq());
    expect(snap.map((h) => [h.id, h.version, h.text])).toEqual([
      ['c', 1, 'headline c'],
      ['a', 2, 'a fixed'],
    ]);
    // As of an earlier seq, the earlier state.
    const earlier = await log.snapshot(() => true, 10, 3);
    expect(earlier.map((h) => h.id)).toEqual(['a', 'b', 'c']);
  });
});

describe('the hard ceiling on the log', () => {
  it('drops the oldest events whatever their age, never refusing a new one, and says how many', async () => {
    const keys = stack.keysFor('hard');
    const log = new FeedLog(connection(), keys, { maxEvents: 10, minAgeSeconds: 7 * 24 * 3600, maxEventsHard: 20 });
    let dropped = 0;
    for (let i = 0; i < 50; i++) {
      const r = await log.append({ opId: `hard-${i}`, expectedVersion: 0, event: event(`x${i}`) });
      expect(r.kind).toBe('appended');
      if (r.kind === 'appended') dropped += r.hardDropped;
    }
    expect(await stack.redis.client.xlen(keys.log)).toBe(20);
    expect(await log.oldestSeq()).toBe(31);
    expect(dropped).toBe(30);
    // Without the ceiling, minAge keeps everything young.
    const softKeys = stack.keysFor('soft');
    const soft = new FeedLog(connection(), softKeys, { maxEvents: 10, minAgeSeconds: 7 * 24 * 3600 });
    for (let i = 0; i < 30; i++) await soft.append({ opId: `soft-${i}`, expectedVersion: 0, event: event(`y${i}`) });
    expect(await stack.redis.client.xlen(softKeys.log)).toBe(30);
  });
});
