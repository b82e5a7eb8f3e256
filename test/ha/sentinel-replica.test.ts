// Redis Sentinel, durability "replica": the primary is SIGKILLed mid-stream. The product follows
// the failover within the bound; the 202 waits for a replica, so every accepted headline reaches
// every client, gap-free, in order, once.
import { describe, expect, it } from 'vitest';
import { cleanUpSentinelRuns, describeOutcome, publishThroughFailover } from '../helpers/sentinel-run.js';

cleanUpSentinelRuns();

describe('on Redis Sentinel, durability "replica"', () => {
  it('the primary SIGKILLed mid-stream: every accepted headline reaches every client, gap-free, in order, once', async () => {
    const out = await publishThroughFailover('replica');
    expect(out.lost).toEqual([]);
    console.info(describeOutcome('replica', out));
  }, 120_000);
});
