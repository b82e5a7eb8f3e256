import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, inject } from 'vitest';
import type { RunningTicker, TickerOptions } from '../../server/src/ticker.js';
import { testKeys, type TestKeys } from './keys.js';
import { startTestRedis, type TestRedis } from './redis.js';
import { startInProcess } from './stack.js';

export type StackTickerOptions = Partial<Omit<TickerOptions, 'redisUrl' | 'prefix'>>;

export interface StackOptions {
  /** the ticker this file tests (options, or a function read when the file starts); false: none */
  ticker?: StackTickerOptions | (() => StackTickerOptions) | false;
}

export interface SharedRedis {
  readonly url: string;
  /** a plain client for assertions (keys under `stack.keys`) */
  readonly client: Redis;
}

export interface Stack<R extends SharedRedis = SharedRedis> {
  /** this file's key prefix: every key the file's tickers write starts with it */
  readonly prefix: string;
  /** Redis key names under `prefix` */
  readonly keys: TestKeys;
  /** key names of a separate feed `name` under the file's prefix (as `startTicker({ prefix: name })`) */
  keysFor(name: string): TestKeys;
  readonly redis: R;
  /** the file's ticker (throws when `ticker: false`) */
  readonly ticker: RunningTicker;
  /** the last seq the log assigned */
  currentSeq(): Promise<number>;
  /**
   * Another ticker on the same Redis, closed with the stack. Without `prefix` it shares the
   * file's feed (another node); with one, it gets a feed of its own under the file's prefix.
   */
  startTicker(options?: StackTickerOptions & { prefix?: string }): Promise<RunningTicker>;
  /** runs `close` after the file, before the stack closes (last deferred, first run) */
  defer(close: () => unknown): void;
}

export type PrivateStack = Stack<TestRedis>;

/**
 * The file's Redis (the run's shared redis-server, see `global-redis.ts`), a random key prefix,
 * and its ticker, started before the file's tests and closed after them along with everything
 * passed to `defer`. For tests that don't kill, restart or flush Redis.
 */
export function useStack(options: StackOptions = {}): Stack {
  return setUp(options, async () => {
    const url = inject('sharedRedisUrl');
    const client = new Redis(url, { maxRetriesPerRequest: null });
    client.on('error', () => undefined);
    return { redis: { url, client }, prefix: `t${randomBytes(5).toString('hex')}`, stop: (prefix) => dropAndQuit(client, prefix) };
  });
}

/** As `useStack`, on a redis-server of the file's own: for tests that kill, restart or flush it. */
export function usePrivateStack(options: StackOptions = {}): PrivateStack {
  return setUp(options, async () => {
    const redis = await startTestRedis();
    return { redis, prefix: 'ticker', stop: () => redis.stop() };
  });
}

function setUp<R extends SharedRedis>(
  options: StackOptions,
  open: () => Promise<{ redis: R; prefix: string; stop: (prefix: string) => Promise<void> }>,
): Stack<R> {
  let opened: { redis: R; prefix: string; stop: (prefix: string) => Promise<void> } | null = null;
  let ticker: RunningTicker | null = null;
  const deferred: (() => unknown)[] = [];
  const need = () => {
    if (!opened) throw new Error('the stack starts in beforeAll: use it inside a test or hook');
    return opened;
  };

  const stack: Stack<R> = {
    get prefix() {
      return need().prefix;
    },
    get keys() {
      return testKeys(need().prefix);
    },
    keysFor: (name) => testKeys(`${need().prefix}-${name}`),
    get redis() {
      return need().redis;
    },
    get ticker() {
      if (!ticker) throw new Error('this stack has no ticker (ticker: false)');
      return ticker;
    },
    currentSeq: async () => Number((await need().redis.client.get(testKeys(need().prefix).seq)) ?? 0),
    startTicker: async ({ prefix, ...rest } = {}) => {
      const { redis, prefix: own } = need();
      const started = await startInProcess(redis.url, { ...rest, prefix: prefix ? `${own}-${prefix}` : own });
      deferred.push(() => started.close());
      return started;
    },
    defer: (close) => void deferred.push(close),
  };

  beforeAll(async () => {
    opened = await open();
    if (options.ticker !== false) {
      const tickerOptions = typeof options.ticker === 'function' ? options.ticker() : (options.ticker ?? {});
      ticker = await startInProcess(opened.redis.url, { ...tickerOptions, prefix: opened.prefix });
    }
  });
  afterAll(async () => {
    for (const close of deferred.reverse()) await close();
    await ticker?.close();
    if (opened) await opened.stop(opened.prefix);
  });
  return stack;
}

/** Leaves the shared server as the file found it: drops the file's keys, then disconnects. */
async function dropAndQuit(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await client.unlink(...keys);
  } while (cursor !== '0');
  client.disconnect();
}
