// The per-editor write limit holds across gateways while most writes skip Redis: each gateway
// takes a second's worth of writes from the shared limit at a time (server/src/access/limits.ts).
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { Limits } from '../../server/src/access/limits.js';
import { testConfig } from '../helpers/config.js';
import { useStack } from '../helpers/harness.js';

const stack = useStack({ ticker: false });

const limitsAt = (perMinute: number, client: Redis) =>
  new Limits(client, stack.prefix, testConfig({ limits: { publishesPerEditorPerMinute: perMinute } }).limits);

/** Redis commands run so far (`INFO commandstats`, those inside scripts included). */
async function commands(client: Redis): Promise<number> {
  const info = await client.info('commandstats');
  return [...info.matchAll(/^cmdstat_[a-z]+:calls=(\d+)/gmu)].reduce((n, m) => n + Number(m[1]), 0);
}

describe('the per-editor write limit, leased', () => {
  it('two gateways together admit exactly the limit, and most writes cost no Redis command', async () => {
    const a = new Redis(stack.redis.url);
    const b = new Redis(stack.redis.url);
    const probe = new Redis(stack.redis.url);
    stack.defer(() => Promise.all([a.quit(), b.quit(), probe.quit()]));
    const one = limitsAt(600, a);
    const two = limitsAt(600, b);
    const before = await commands(probe);
    let admitted = 0;
    let refused = 0;
    // 400 writes on each gateway, interleaved, all in one minute: 800 against a limit of 600.
    for (let i = 0; i < 400; i++) {
      for (const limits of [one, two]) {
        if ((await limits.publish('lease-desk')) === null) admitted++;
        else refused++;
      }
    }
    const used = (await commands(probe)) - before;
    // Leases are counted before use: never more than the limit. At most one lease (10 writes)
    // per gateway goes unused when the limit is reached.
    expect(admitted).toBeLessThanOrEqual(600);
    expect(admitted).toBeGreaterThanOrEqual(600 - 2 * 10);
    expect(refused).toBe(800 - admitted);
    // One script call (a few commands) per lease, not per write; refusals answered from memory.
    // Asking Redis on every write costs ~3 commands a write here (2,400 for these 800).
    expect(used).toBeLessThan(400);
  });

  it('concurrent writes share one lease: 500 at once, 25 at a time, all admitted under a limit of 600', async () => {
    const client = new Redis(stack.redis.url);
    stack.defer(() => client.quit());
    const limits = limitsAt(600, client);
    const answers: (number | null)[] = [];
    for (let i = 0; i < 500; i += 25) answers.push(...(await Promise.all(Array.from({ length: 25 }, () => limits.publish('burst-desk')))));
    expect(answers.filter((a) => a !== null)).toEqual([]);
  });

  it('a limit under 120 a minute is counted write by write, exactly', async () => {
    const client = new Redis(stack.redis.url);
    stack.defer(() => client.quit());
    const limits = limitsAt(5, client);
    const answers = [];
    for (let i = 0; i < 7; i++) answers.push(await limits.publish('exact-desk'));
    expect(answers.slice(0, 5)).toEqual([null, null, null, null, null]);
    expect(answers[5]).toBeGreaterThan(0);
    expect(answers[6]).toBeGreaterThan(0);
  });
});
