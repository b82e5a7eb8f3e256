// Redis Sentinel, durability "replica": the primary is SIGKILLed mid-stream; the 202 waits for a
// replica, so every accepted headline reaches every client, gap-free, in order, once.
import { describe, expect, it } from 'vitest';
import { cleanUpSentinelRuns, publishThroughFailover } from '../helpers/sentinel-run.js';

cleanUpSentinelRuns();

describe('on Redis Sentinel, the primary SIGKILLed mid-stream', () => {
  it('durability "replica": every accepted headline reaches every client, gap-free, in order, once', async () => {
    const out = await publishThroughFailover('replica');
    expect(out.accepted).toHaveLength(80);
    expect(out.lost).toEqual([]);
    console.info(
      `sentinel failover, durability replica: 202 in ${out.medianAcceptMs} ms (median before), back in ${out.recoveryMs} ms, ${out.refused} × 503 meanwhile, 0 of 80 lost`,
    );
  }, 120_000);
});
