// A unit test of one race in the relay's tail check, with a stub log whose answers the test
// releases by hand (the race cannot be timed with a real Redis). The relay's real-Redis
// behaviour is covered end to end in test/e2e, test/fault and test/sdk/feed-restart.test.ts.
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { Headline } from '@headline-ticker/sdk/protocol';
import { createLogger } from '../logger.js';
import { feedKeys } from '../log/feed-keys.js';
import type { FeedLog } from '../log/feed-log.js';
import { FeedRelay } from './feed-relay.js';

const event = (seq: number): Headline => ({
  id: `h${seq}`,
  seq,
  version: 1,
  status: 'published',
  text: `headline ${seq}`,
  topics: [],
  symbols: [],
  urgency: 'routine',
  lang: 'en',
  source: 'desk',
  publishedAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

/** A log whose `currentSeq` and tail check answer (with the head) only when the test says so. */
function heldLog() {
  const asks: ((seq: number) => void)[] = [];
  const log = {
    keys: feedKeys('t'),
    currentSeq: () => new Promise<number>((resolve) => asks.push(resolve)),
    // The log still holds what was emitted (same ids) unless the head went below it.
    tail: (seq: number) =>
      new Promise((resolve) => asks.push((head) => resolve({ head, epoch: 'e1', idAtSeq: seq <= head ? `h${seq}` : null }))),
    epoch: async () => 'e1',
    renewEpoch: async () => 'e2',
    idAt: async () => null,
    range: async () => [],
    oldestSeq: async () => null,
  };
  return { log: log as unknown as FeedLog, asks };
}

async function startedRelay() {
  const sub = Object.assign(new EventEmitter(), { subscribe: async () => 1 });
  const { log, asks } = heldLog();
  const relay = new FeedRelay({ subscriber: sub as unknown as Redis, log, logger: createLogger('silent'), reconcileIntervalMs: 5 });
  const starting = relay.start();
  await new Promise((r) => setImmediate(r));
  asks.shift()!(0); // the feed is empty at start
  await starting;
  const publish = (seq: number) => sub.emit('message', 'ticker:events', JSON.stringify(event(seq)));
  const nextAsk = async () => {
    while (asks.length === 0) await new Promise((r) => setTimeout(r, 1));
    return asks.shift()!;
  };
  return { relay, publish, nextAsk };
}

describe('the relay tail check', () => {
  it('a reply that is merely older than events which arrived meanwhile is not a restart', async () => {
    const { relay, publish, nextAsk } = await startedRelay();
    const restarts: unknown[] = [];
    relay.on('restart', (r) => restarts.push(r));
    publish(1);
    const answer = await nextAsk(); // asked while lastSeq was 1
    publish(2);
    publish(3); // these arrive before the reply is read
    answer(1); // the log's seq when Redis ran the GET
    await new Promise((r) => setTimeout(r, 10));
    expect(restarts).toEqual([]);
    expect(relay.lastSeq).toBe(3);
    await relay.close();
  });

  it('a reply below what had been emitted when it was asked is a restart', async () => {
    const { relay, publish, nextAsk } = await startedRelay();
    const restarts: unknown[] = [];
    relay.on('restart', (r) => restarts.push(r));
    publish(1);
    publish(2);
    const answer = await nextAsk(); // asked while lastSeq was 2
    answer(0); // the log went backwards: Redis lost its data
    (await nextAsk())(0); // the repair that follows a restart finds the new feed empty
    expect(restarts).toEqual([{ from: 2, seq: 0 }]);
    expect(relay.lastSeq).toBe(0);
    expect(relay.epoch).toBe('e2');
    await relay.close();
  });
});
