// Limits per address as well as per key, counted in each gateway's memory. Defaults admit a
// real audience behind one address (2,000 widget sockets); IPv6 is counted per /64.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io } from 'socket.io-client';
import { addressBucket } from '../../server/src/access/address-limits.js';
import type { RunningTicker } from '../../server/src/ticker.js';
import { ALL_KEY, EDITOR_TOKEN, WIDGET_KEY, WIDGET_ORIGIN, testConfig } from '../helpers/config.js';
import { connect, postHeadline, subscribe, type TestSocket } from '../helpers/clients.js';
import { useStack } from '../helpers/harness.js';
import { until, waitFor } from '../helpers/wait.js';

// The run's shared redis-server; each describe's ticker gets a feed of its own under this file's prefix.
const stack = useStack({ ticker: false });

const OTHER_KEY = 'sdk_test_other_key';

describe('address buckets', () => {
  it('IPv4 per address, IPv6 per /64, mapped IPv4 as IPv4', () => {
    expect(addressBucket('203.0.113.7')).toBe('203.0.113.7');
    expect(addressBucket('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressBucket('2001:db8:1:2:aaaa::1')).toBe(addressBucket('2001:db8:1:2:bbbb:cccc:dddd:2'));
    expect(addressBucket('2001:db8:1:2::1')).not.toBe(addressBucket('2001:db8:1:3::1'));
    expect(addressBucket('2001:db8::1')).toBe(addressBucket('2001:0db8:0000:0000:ffff::9'));
  });
});

describe('per-address limits', () => {
  let ticker: RunningTicker;
  const sockets: TestSocket[] = [];
  beforeAll(async () => {
    ticker = await stack.startTicker({
      prefix: 'd1',
      config: testConfig({
        keys: [
          { key: ALL_KEY, name: 'all', topics: ['*'] },
          { key: OTHER_KEY, name: 'other', topics: ['*'] },
        ],
        limits: {
          socketsPerAddress: 4,
          subscribesPerAddressPer10s: 3,
          historyPerAddressPerMinute: 2,
          publishesPerEditorPerMinute: 2,
          socketMessagesPer10s: 5,
        },
      }),
    });
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await ticker?.close();
  });
  const open = async (key = ALL_KEY) => {
    const s = await connect(ticker.url, key);
    sockets.push(s);
    return s;
  };

  it('subscribes per address, across sockets and keys: rate_limited', async () => {
    const a = await open();
    const b = await open(OTHER_KEY);
    expect((await subscribe(a, {})).ok).toBe(true);
    expect((await subscribe(b, {})).ok).toBe(true);
    expect((await subscribe(a, {})).ok).toBe(true);
    const refused = await subscribe(b, {});
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error.code).toBe('rate_limited');
  });

  it('concurrent sockets per address: too_many_connections', async () => {
    await open();
    await open(OTHER_KEY);
    await expect(connect(ticker.url, ALL_KEY)).rejects.toThrow('too_many_connections');
    sockets.pop()!.close();
    await new Promise((r) => setTimeout(r, 100));
    await open(); // a closed socket frees its place
  });

  it('unknown socket events are limited too: a flood of them is cut off', async () => {
    const s = sockets[0]!;
    const gone = waitFor(s, 'disconnect');
    const junk = 'x'.repeat(8 * 1024);
    for (let i = 0; i < 50; i++) (s as unknown as { emit: (e: string, d: string) => void }).emit(`junk${i}`, junk);
    await gone;
  });

  it('history per address, across keys: 429', async () => {
    const get = (key: string) => fetch(`${ticker.url}/api/headlines`, { headers: { authorization: `Bearer ${key}` } });
    expect((await get(ALL_KEY)).status).toBe(200);
    expect((await get(OTHER_KEY)).status).toBe(200);
    const third = await get(OTHER_KEY);
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('publishes per editor per minute: 429', async () => {
    expect((await postHeadline(ticker.url, { text: 'one' }, EDITOR_TOKEN)).status).toBe(202);
    expect((await postHeadline(ticker.url, { text: 'two' }, EDITOR_TOKEN)).status).toBe(202);
    const third = await postHeadline(ticker.url, { text: 'three' }, EDITOR_TOKEN);
    expect(third.status).toBe(429);
    expect(third.json.error?.code).toBe('rate_limited');
  });
});

describe('socket events per address', () => {
  let ticker: RunningTicker;
  beforeAll(async () => {
    ticker = await stack.startTicker({
      prefix: 'd2',
      config: testConfig({ limits: { socketEventsPerAddressPer10s: 4, socketMessagesPer10s: 100 } }),
    });
  });
  afterAll(async () => {
    await ticker?.close();
  });

  it('count every event, known or not, across the sockets of one address', async () => {
    const a = await connect(ticker.url, ALL_KEY);
    const b = await connect(ticker.url, ALL_KEY);
    try {
      (a as unknown as { emit: (e: string) => void }).emit('nonsense');
      (b as unknown as { emit: (e: string) => void }).emit('nonsense');
      expect((await subscribe(a, {})).ok).toBe(true);
      expect((await subscribe(b, {})).ok).toBe(true);
      const refused = await subscribe(a, {});
      expect(refused.ok).toBe(false);
      if (!refused.ok) expect(refused.error.code).toBe('rate_limited');
    } finally {
      a.close();
      b.close();
    }
  });
});

describe('defaults admit a real audience behind one address', () => {
  let ticker: RunningTicker;
  beforeAll(async () => {
    ticker = await stack.startTicker({ prefix: 'd3' });
  });
  afterAll(async () => {
    await ticker?.close();
  });

  it('2,000 widget sockets from one IPv4 address connect and subscribe', async () => {
    const all: TestSocket[] = [];
    try {
      for (let batch = 0; batch < 20; batch++) {
        const opened = await Promise.all(
          Array.from({ length: 100 }, async () => {
            const s: TestSocket = io(ticker.url, {
              auth: { key: WIDGET_KEY },
              transports: ['websocket'],
              reconnection: false,
              forceNew: true,
              extraHeaders: { origin: WIDGET_ORIGIN },
            });
            all.push(s);
            await waitFor(s, 'connect', 20_000);
            const ack = await subscribe(s, { topics: ['*'] });
            expect(ack.ok).toBe(true);
            return s;
          }),
        );
        expect(opened).toHaveLength(100);
      }
      expect(all.filter((s) => s.connected)).toHaveLength(2000);
    } finally {
      for (const s of all) s.close();
    }
  }, 120_000);
});

describe('Server-Sent Events streams count against the per-address connection cap', () => {
  let ticker: RunningTicker;
  const streams: AbortController[] = [];
  beforeAll(async () => {
    ticker = await stack.startTicker({ prefix: 'd4', config: testConfig({ limits: { socketsPerAddress: 3 } }) });
  });
  afterAll(async () => {
    for (const c of streams) c.abort();
    await ticker?.close();
  });
  const stream = async () => {
    const c = new AbortController();
    streams.push(c);
    const res = await fetch(`${ticker.url}/api/stream?key=${ALL_KEY}`, { signal: c.signal });
    return { res, c };
  };

  it('one address cannot hold more streams and sockets than the cap; a closed stream gives its place back', async () => {
    const a = await stream();
    const b = await stream();
    expect([a.res.status, b.res.status]).toEqual([200, 200]);
    // Sockets and streams share the cap: the third place goes to a socket, the fourth is refused.
    const s = await connect(ticker.url, ALL_KEY);
    const refused = await stream();
    expect(refused.res.status).toBe(429);
    expect(((await refused.res.json()) as { error: { code: string } }).error.code).toBe('too_many_connections');
    s.close();
    a.c.abort();
    // The places come back once the socket and the stream are gone (the server sees the close).
    await until(
      async () => {
        const again = await stream();
        if (again.res.status === 200) return true;
        expect(again.res.status).toBe(429);
        return false;
      },
      'a place is free again',
      10_000,
      100,
    );
  });
});
