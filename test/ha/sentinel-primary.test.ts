// Redis Sentinel, durability "primary" (the default): the product follows a SIGKILLed primary's
// failover by itself, within the bound, refusing (503) only meanwhile; what asynchronous
// replication lost is measured and printed, not asserted (nothing in this mode prevents it).
// What is asserted (publishThroughFailover): recovery within the bound, refusals only in the
// failover window, and every client gap-free, in order, the same feed on both.
import { describe, it } from 'vitest';
import { cleanUpSentinelRuns, describeOutcome, publishThroughFailover } from '../helpers/sentinel-run.js';

cleanUpSentinelRuns();

describe('on Redis Sentinel, the primary SIGKILLed mid-stream', () => {
  it('durability "primary" (the default) also follows the failover by itself; what it lost is measured', async () => {
    const out = await publishThroughFailover('primary');
    console.info(describeOutcome('primary', out));
  }, 120_000);
});
