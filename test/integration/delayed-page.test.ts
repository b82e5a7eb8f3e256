// A delayed key's replay read page by page (bounded reads) is the replay read in one go: the
// same events released, in order, none twice, whatever the bounds, corrections that overtake
// their headline across a page's edge included.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Headline } from '@headline-ticker/sdk/protocol';
import { delayedPage } from '../../server/src/log/delayed-page.js';
import { delayedEvents } from '../../server/src/log/delayed-view.js';
import { FeedLog, type UnsequencedEvent } from '../../server/src/log/feed-log.js';
import { useStack } from '../helpers/harness.js';

const stack = useStack({ ticker: false });
const DELAY_MS = 1000;
const T0 = Date.parse('2026-01-01T00:00:00.000Z');

describe('delayed replay pages', () => {
  let redis: Redis;
  let log: FeedLog;
  let total = 0;

  beforeAll(async () => {
    redis = new Redis(stack.redis.url);
    log = new FeedLog(redis, stack.keysFor('delayed-page'), { maxEvents: 100_000, minAgeSeconds: 0 });
    // 300 events 300 ms apart, about a third of them corrections of a recent headline (some
    // overtake it within the delay, some do not), then a burst of 60 at one instant.
    const versions = new Map<string, number>();
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const append = async (id: string, t: number) => {
      const version = (versions.get(id) ?? 0) + 1;
      versions.set(id, version);
      const at = new Date(t).toISOString();
      const event: UnsequencedEvent = {
        id,
        version,
        status: version === 1 ? 'published' : 'corrected',
        text: `${id} v${version}`,
        topics: ['energy'],
        symbols: [],
        urgency: 'routine',
        lang: 'en',
        source: 'desk',
        publishedAt: at,
        updatedAt: at,
      };
      await log.append({ opId: `${id}-${version}`, expectedVersion: version - 1, event });
      total++;
    };
    for (let i = 0; i < 300; i++) {
      const correct = i > 5 && random() < 0.35;
      await append(correct ? `h${i - 1 - Math.floor(random() * 5)}` : `h${i}`, T0 + i * 300);
    }
    for (let i = 0; i < 60; i++) await append(`burst${i}`, T0 + 300 * 300);
  });
  afterAll(() => redis.disconnect());

  it.each([
    { maxEvents: 7, maxScan: 40 },
    { maxEvents: 500, maxScan: 40 },
    { maxEvents: 3, maxScan: 5000 },
    { maxEvents: 100, maxScan: 13 },
  ])('pages of %o equal the whole replay', async ({ maxEvents, maxScan }) => {
    const all = await log.range(0, total, 100_000);
    const whole = delayedEvents(all, [], DELAY_MS).map((ev) => ev.h.seq);
    expect(whole.length).toBeLessThan(total); // some were overtaken
    const got: Headline[] = [];
    let at = 0;
    for (let i = 0; i < 1000 && at < total; i++) {
      const page = await delayedPage(log, (ev) => ev.h, at, total, [], DELAY_MS, { maxEvents, maxBytes: 1e9, maxScan });
      expect(page.reset).toBe(false);
      expect(page.seq).toBeGreaterThan(at);
      expect(page.headlines.length).toBeLessThanOrEqual(maxEvents);
      got.push(...page.headlines);
      at = page.seq;
    }
    expect(at).toBe(total);
    expect(got.map((h) => h.seq)).toEqual(whole);
  });
});
