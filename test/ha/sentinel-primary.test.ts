// Redis Sentinel, durability "primary" (the default): the product follows a SIGKILLed primary's
// failover by itself; what asynchronous replication lost meanwhile is measured and printed.
import { describe, expect, it } from 'vitest';
import { cleanUpSentinelRuns, publishThroughFailover } from '../helpers/sentinel-run.js';

cleanUpSentinelRuns();

describe('on Redis Sentinel, the primary SIGKILLed mid-stream', () => {
  it('durability "primary" (the default) also follows the failover by itself; what it lost is measured', async () => {
    const out = await publishThroughFailover('primary');
    expect(out.accepted).toHaveLength(80);
    // Asynchronous replication can lose what the primary acknowledged last; on a quiet local
    // link that is usually nothing. Recorded, not asserted: docs/operations.md explains.
    console.info(
      `sentinel failover, durability primary: 202 in ${out.medianAcceptMs} ms (median before), back in ${out.recoveryMs} ms, ${out.refused} × 503 meanwhile, ${out.lost.length} of 80 lost`,
    );
  }, 120_000);
});
