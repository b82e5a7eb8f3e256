// When Redis loses its data (no persistence, a flush), the feed starts again at seq 1. Positions
// clients hold are then ahead of the feed. The gateway notices (its once-a-second tail check),
// tells every client `feed_restarted`, and the SDK starts afresh with a `reset` instead of
// refusing for good or waiting for seqs to catch up with the old ones.
import { afterAll, describe, expect, it } from 'vitest';
import { TickerClient, type Headline } from '@headline-ticker/sdk';
import { ALL_KEY } from '../helpers/config.js';
import { postHeadline } from '../helpers/clients.js';
import { usePrivateStack } from '../helpers/harness.js';
import { until, waitFor } from '../helpers/wait.js';

let client: TickerClient;

const stack = usePrivateStack();

afterAll(async () => {
  await client?.close();
});

describe('the feed starts again (Redis lost its data)', () => {
  it('the gateway follows the new feed and the SDK resets onto it instead of giving up', async () => {
    client = new TickerClient({ url: stack.ticker.url, key: ALL_KEY, limit: 0, reconnect: { minDelayMs: 50, maxDelayMs: 200 } });
    const got: Headline[] = [];
    const reasons: string[] = [];
    client.on('headline', (h) => got.push(h));
    client.on('status', (s) => reasons.push(`${s.status}:${s.reason ?? ''}`));
    await client.ready(10_000);
    for (let i = 0; i < 5; i++) await postHeadline(stack.ticker.url, { text: `before ${i}` });
    await until(() => got.length === 5, 'five headlines before the loss');
    expect(client.lastSeq).toBe(5);

    const reset = waitFor<{ headlines: Headline[]; seq: number; since: number; feedRestarted?: true }>(client, 'reset', 20_000);
    await stack.redis.client.flushall();
    const info = await reset;
    expect(info).toEqual({ headlines: [], seq: 0, since: 5, feedRestarted: true });
    expect(reasons).toContain('reconnecting:feed_restarted');
    await until(() => client.status === 'live', 'live again');

    await postHeadline(stack.ticker.url, { text: 'after 0' });
    await postHeadline(stack.ticker.url, { text: 'after 1' });
    await until(() => got.length === 7, 'the new feed arrives', 20_000);
    expect(got.slice(5).map((h) => [h.seq, h.text])).toEqual([
      [1, 'after 0'],
      [2, 'after 1'],
    ]);
    expect(client.lastSeq).toBe(2);
  }, 60_000);
});
