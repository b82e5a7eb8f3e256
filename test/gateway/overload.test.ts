import { describe, expect, it } from 'vitest';
import { CONNECT_ERROR } from '@headline-ticker/sdk/protocol';
import { ALL_KEY } from '../helpers/config.js';
import { connect, subscribeOk } from '../helpers/clients.js';
import { useStack } from '../helpers/harness.js';
import { until } from '../helpers/wait.js';
import { overloadCheck } from '../../server/src/gateway/overload.js';

/** Keeps this process's event loop busy for `ms`, as a gateway swamped by work would be. */
function busy(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // spinning on purpose
  }
}

describe('a gateway whose event loop is behind refuses new connections with a retry hint', () => {
  const stack = useStack();

  it('refuses `overloaded` with retryAfterMs while the lag lasts; admits again once it has caught up; open sockets stay', async () => {
    const url = stack.ticker.url;
    const open = await connect(url, ALL_KEY);
    await subscribeOk(open, { limit: 0 });
    // The connect is under way when the loop stalls: the handshake runs right after the
    // backpressure check has measured the stall.
    const refused = connect(url, ALL_KEY).then(
      () => null,
      (err: unknown) => err as Error & { data?: { retryAfterMs?: number } },
    );
    busy(2000);
    const err = await refused;
    expect(err?.message).toBe(CONNECT_ERROR.overloaded);
    expect(err?.data?.retryAfterMs).toBeGreaterThanOrEqual(1000);
    expect(open.connected).toBe(true);
    // The next check sees no lag: new connections are admitted again.
    await until(async () => {
      const s = await connect(url, ALL_KEY).catch(() => null);
      s?.close();
      return s !== null;
    }, 'admitted again');
    open.close();
  });

  it('the hint grows with the lag, from 1 s up to 10 s; none below the threshold', () => {
    let lag = 0;
    const check = overloadCheck(() => lag, { maxLagMs: 500 });
    expect(check()).toBeNull();
    lag = 500;
    expect(check()).toBeNull();
    lag = 501;
    expect(check()).toBe(2004);
    lag = 100;
    expect(overloadCheck(() => lag, { maxLagMs: 50 })()).toBe(1000);
    lag = 60_000;
    expect(check()).toBe(10_000);
  });
});
