// In production the config's secrets must be long, varied and not the examples' placeholders: the
// process refuses to start, names the field, and exits 2.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useStack } from '../helpers/harness.js';
import { ROOT, startProcess, writeConfigFile } from '../helpers/stack.js';

// The run's shared redis-server, under a key prefix of this file's own.
const stack = useStack({ ticker: false });

const LONG = 'k'.repeat(8) + 'Q7vT2xLp9sWz4RbN8cYm';

describe('production secrets', () => {
  beforeAll(async () => {});
  afterAll(async () => {});

  const start = async (config: unknown) => {
    const p = await startProcess(
      'all',
      { REDIS_URL: stack.redis.url, TICKER_PREFIX: stack.prefix, TICKER_CONFIG: writeConfigFile(config), NODE_ENV: 'production' },
      { waitForStart: false },
    );
    // a config that is wrongly accepted starts a server: stop it rather than wait forever
    const timer = setTimeout(() => void p.kill('SIGKILL'), 15_000);
    const exit = await p.exited;
    clearTimeout(timer);
    return { exit, output: p.output() };
  };

  it('refuses the example config (CHANGE_ME placeholders), naming the field', async () => {
    const example = JSON.parse(readFileSync(`${ROOT}deploy/ticker.example.json`, 'utf8')) as unknown;
    const { exit, output } = await start(example);
    expect(exit.code).toBe(2);
    expect(output).toMatch(/editors\.0\.token/u);
    expect(output).toMatch(/placeholder/u);
  });

  it('refuses a short key, naming the field', async () => {
    const { exit, output } = await start({ keys: [{ key: 'short_key_123', name: 'short' }], editors: [{ name: 'd', token: LONG }] });
    expect(exit.code).toBe(2);
    expect(output).toMatch(/keys\.0\.key/u);
    expect(output).toMatch(/24/u);
  });

  it('refuses a long but repetitive secret, naming the field', async () => {
    const { exit, output } = await start({ keys: [{ key: LONG, name: 'long' }], editors: [{ name: 'd', token: 'ab'.repeat(16) }] });
    expect(exit.code).toBe(2);
    expect(output).toMatch(/editors\.0\.token: is too repetitive/u);
  });

  it('starts with long, random secrets', async () => {
    const p = await startProcess('all', {
      REDIS_URL: stack.redis.url,
      TICKER_PREFIX: stack.prefix,
      NODE_ENV: 'production',
      TICKER_CONFIG: writeConfigFile({ keys: [{ key: LONG, name: 'long' }], editors: [{ name: 'd', token: `${LONG}x` }] }),
    });
    expect((await p.kill()).code).toBe(0);
  });
});
