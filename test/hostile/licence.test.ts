// Licence rules on every path: an origin-bound widget key on REST, reloads that change origins
// or maxConnections, and a lockout that neither trusts forged X-Forwarded-For nor refuses a
// valid credential because others failed from the same address.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BYE_RETRY_MS, byeInfo } from '../../server/src/gateway/bye.js';
import type { RunningTicker } from '../../server/src/ticker.js';
import { ALL_KEY, EDITOR_TOKEN, WIDGET_KEY, WIDGET_ORIGIN, testConfig } from '../helpers/config.js';
import { connect, postHeadline } from '../helpers/clients.js';
import { useStack } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';

// The run's shared redis-server; each describe's ticker gets a feed of its own under this file's prefix.
const stack = useStack({ ticker: false });

const CAPPED_KEY = 'sdk_test_capped_key';

describe('licence rules', () => {
  let ticker: RunningTicker;
  const keys = (origins: string[], maxConnections: number) => [
    { key: ALL_KEY, name: 'all topics', topics: ['*'] },
    { key: WIDGET_KEY, name: 'widget', topics: ['*'], origins },
    { key: CAPPED_KEY, name: 'capped', topics: ['*'], maxConnections },
  ];

  beforeAll(async () => {
    ticker = await stack.startTicker({ prefix: 'd1', config: testConfig({ keys: keys([WIDGET_ORIGIN, 'http://other.test'], 3) }) });
  });
  afterAll(async () => {
    await ticker?.close();
  });

  const history = (key: string, origin?: string) =>
    fetch(`${ticker.url}/api/headlines`, { headers: { authorization: `Bearer ${key}`, ...(origin ? { origin } : {}) } });

  it('an origin-bound widget key is refused on REST (403) without its Origin, served with it', async () => {
    const none = await history(WIDGET_KEY);
    expect(none.status).toBe(403);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    expect((await history(WIDGET_KEY, 'http://evil.test')).status).toBe(403);
    expect((await history(WIDGET_KEY, WIDGET_ORIGIN)).status).toBe(200);
    expect((await history(ALL_KEY)).status).toBe(200);
  });

  it('a reload that removes an origin cuts the open widget sockets of that origin', async () => {
    const kept = await connect(ticker.url, WIDGET_KEY, { origin: WIDGET_ORIGIN });
    const cut = await connect(ticker.url, WIDGET_KEY, { origin: 'http://other.test' });
    try {
      const bye = waitFor<{ reason: string; retryAfterMs?: number }>(cut, 'bye');
      const gone = waitFor(cut, 'disconnect');
      await ticker.reload(testConfig({ keys: keys([WIDGET_ORIGIN], 3) }));
      const info = await bye;
      expect(info.reason).toBe('revoked');
      // every bye asks for a jittered wait before reconnecting
      expect(info.retryAfterMs).toBeGreaterThanOrEqual(BYE_RETRY_MS.revoked[0]);
      expect(info.retryAfterMs).toBeLessThanOrEqual(BYE_RETRY_MS.revoked[1]);
      await gone;
      expect(kept.connected).toBe(true);
    } finally {
      kept.close();
      cut.close();
    }
  });

  it('a reload that lowers maxConnections closes the sockets over the new cap', async () => {
    const open = await Promise.all([0, 1, 2].map(() => connect(ticker.url, CAPPED_KEY)));
    try {
      const byes = open.map((s) =>
        waitFor<{ reason: string }>(s, 'bye', 2000).then(
          (b) => b.reason,
          () => null,
        ),
      );
      await ticker.reload(testConfig({ keys: keys([WIDGET_ORIGIN], 1) }));
      const reasons = await Promise.all(byes);
      expect(reasons.filter((r) => r === 'too_many_connections')).toHaveLength(2);
      expect(open.filter((s) => s.connected)).toHaveLength(1);
    } finally {
      for (const s of open) s.close();
    }
  });
});

describe('bye hints', () => {
  it('every reason asks for a wait drawn at random from its range', () => {
    for (const reason of Object.keys(BYE_RETRY_MS) as (keyof typeof BYE_RETRY_MS)[]) {
      const [min, max] = BYE_RETRY_MS[reason];
      expect(byeInfo(reason, () => 0).retryAfterMs).toBe(min);
      expect(byeInfo(reason, () => 1).retryAfterMs).toBe(max);
      expect(min).toBeGreaterThan(0);
      expect(max).toBeGreaterThan(min);
    }
  });
});

describe('lockout', () => {
  let ticker: RunningTicker;

  beforeAll(async () => {
    // Only 10.9.9.9 is a trusted proxy: the test's own loopback peer is an ordinary client.
    ticker = await stack.startTicker({
      prefix: 'd2',
      config: testConfig({ limits: { authFailuresPerMinute: 3 }, trustedProxies: ['10.9.9.9'] }),
    });
  });
  afterAll(async () => {
    await ticker?.close();
  });

  it('a forged X-Forwarded-For from an untrusted peer is ignored: failures count against the peer', async () => {
    const attempt = (xff: string) =>
      fetch(`${ticker.url}/api/headlines`, { headers: { authorization: 'Bearer sdk_wrong_key_0000', 'x-forwarded-for': xff } });
    expect((await attempt('1.1.1.1')).status).toBe(401);
    expect((await attempt('2.2.2.2')).status).toBe(401);
    expect((await attempt('3.3.3.3')).status).toBe(401);
    // a fresh forged address does not buy a fresh budget
    expect((await attempt('4.4.4.4')).status).toBe(429);
  });

  it('a valid credential is never refused because others failed from the same address', async () => {
    // the address is locked out for unknown credentials now (the test above)...
    expect((await fetch(`${ticker.url}/api/headlines`, { headers: { authorization: 'Bearer nope_nope_nope' } })).status).toBe(429);
    // ...and the right ones still work, on REST and on the socket
    expect((await fetch(`${ticker.url}/api/headlines`, { headers: { authorization: `Bearer ${ALL_KEY}` } })).status).toBe(200);
    expect((await postHeadline(ticker.url, { text: 'Still publishing' }, EDITOR_TOKEN)).status).toBe(202);
    const s = await connect(ticker.url, ALL_KEY);
    s.close();
    await expect(connect(ticker.url, 'sdk_wrong_key_1111')).rejects.toThrow('rate_limited');
  });
});
