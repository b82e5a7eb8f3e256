// Secrets never reach the logs, however the query spells them; /metrics is for operators only.
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningTicker } from '../../server/src/ticker.js';
import { redactUrl } from '../../server/src/api/request-log.js';
import { ALL_KEY, EDITOR_TOKEN, testConfig } from '../helpers/config.js';
import { postHeadline } from '../helpers/clients.js';
import { useStack } from '../helpers/harness.js';
import { startProcess, writeConfigFile, type TickerProcess } from '../helpers/stack.js';
import { until } from '../helpers/wait.js';

// The run's shared redis-server; each describe's feed under this file's prefix.
const stack = useStack({ ticker: false });

describe('secrets in logs', () => {
  let node: TickerProcess;
  beforeAll(async () => {
    node = await startProcess('all', {
      REDIS_URL: stack.redis.url,
      TICKER_PREFIX: `${stack.prefix}-logs`,
      TICKER_CONFIG: writeConfigFile(),
    });
  });
  afterAll(async () => {
    await node?.kill();
  });

  it('redacts a key however its name is encoded', () => {
    expect(redactUrl(`/api/headlines?%6Bey=${ALL_KEY}&since=1`)).toBe('/api/headlines?%6Bey=[redacted]&since=1');
    expect(redactUrl(`/api/headlines?since=1&%6b%65%79=${ALL_KEY}`)).not.toContain(ALL_KEY);
    expect(redactUrl(`/api/headlines?KEY=${ALL_KEY}`)).not.toContain(ALL_KEY);
    expect(redactUrl(`/api/headlines?token=${EDITOR_TOKEN}`)).not.toContain(EDITOR_TOKEN);
    expect(redactUrl('/api/headlines?%zz=1')).toBe('/api/headlines?%zz=1');
  });

  it('the percent-encoded key authenticates but is never logged; nor is an Authorization header', async () => {
    const res = await fetch(`${node.url}/api/headlines?%6Bey=${ALL_KEY}`);
    expect(res.status).toBe(200);
    expect((await fetch(`${node.url}/api/headlines`, { headers: { authorization: `Bearer ${EDITOR_TOKEN}zz` } })).status).toBe(401);
    await until(() => node.output().includes('%6Bey=[redacted]'), 'the request is logged');
    await until(() => node.output().includes('"statusCode":401'), 'the 401 is logged');
    expect(node.output()).not.toContain(ALL_KEY);
    expect(node.output()).not.toContain(EDITOR_TOKEN);
  });
});

describe('/metrics', () => {
  const tickers: RunningTicker[] = [];
  afterAll(async () => {
    for (const t of tickers) await t.close();
  });

  it('is served to loopback on the main port, not to a client behind the trusted proxy', async () => {
    const t = await stack.startTicker({ host: '0.0.0.0', prefix: 'm1' });
    tickers.push(t);
    expect((await fetch(`${t.url}/metrics`)).status).toBe(200);
    // Loopback is the default trusted proxy, so this request's client is 203.0.113.5, as nginx
    // in front would report a visitor.
    const forwarded = { headers: { 'x-forwarded-for': '203.0.113.5' } };
    expect((await fetch(`${t.url}/metrics`, forwarded)).status).toBe(404);
    expect((await fetch(`${t.url}/healthz`, forwarded)).status).toBe(200);
  });

  const outside = Object.values(networkInterfaces())
    .flat()
    .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal);
  it.skipIf(outside === undefined)(
    'is not served to a direct connection from another address (skipped when this machine has no non-loopback IPv4 address)',
    async () => {
      const t = await stack.startTicker({ host: '0.0.0.0', prefix: 'm3' });
      tickers.push(t);
      expect((await fetch(`http://${outside!.address}:${t.port}/metrics`)).status).toBe(404);
      expect((await fetch(`http://${outside!.address}:${t.port}/healthz`)).status).toBe(200);
    },
  );

  it('with METRICS_PORT it is served there only', async () => {
    const t = await stack.startTicker({ prefix: 'm2', metricsPort: 0 });
    tickers.push(t);
    expect((await fetch(`${t.url}/metrics`)).status).toBe(404);
    expect(t.metricsUrl).toBeDefined();
    const res = await fetch(`${t.metricsUrl!}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('ticker_sockets_connected');
  });
});

describe('the hard ceiling on the log, seen by an operator', () => {
  let node: TickerProcess;
  beforeAll(async () => {
    const config = testConfig({ retention: { maxEvents: 10, minAgeSeconds: 7 * 24 * 3600, maxEventsHard: 20 } });
    node = await startProcess('all', {
      REDIS_URL: stack.redis.url,
      TICKER_PREFIX: `${stack.prefix}-ceiling`,
      TICKER_CONFIG: writeConfigFile(config),
    });
  });
  afterAll(async () => {
    await node?.kill();
  });

  it('drops the oldest young events beyond it, counts them in ticker_log_hard_dropped_total and says so in a warn line', async () => {
    for (let i = 0; i < 30; i++) expect((await postHeadline(node.url, { text: `Flood ${i}`, topics: ['energy'] })).status).toBe(202);
    const dropped = async () =>
      Number(/^ticker_log_hard_dropped_total (\d+)/mu.exec(await (await fetch(`${node.url}/metrics`)).text())?.[1]);
    await until(async () => (await dropped()) === 10, 'ten events dropped by the ceiling');
    expect(await stack.redis.client.xlen(stack.keysFor('ceiling').log)).toBe(20);
    const line = node
      .output()
      .split('\n')
      .find((l) => l.includes('hard ceiling'));
    expect(line).toBeDefined();
    const entry = JSON.parse(line!) as { level: number | string; dropped: number; maxEventsHard: number };
    expect([40, 'warn']).toContain(entry.level);
    expect(entry.dropped).toBeGreaterThan(0);
    expect(entry.maxEventsHard).toBe(20);
  });
});
