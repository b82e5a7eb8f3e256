import { describe, expect, it } from 'vitest';
import { readEnv } from './env.js';

describe('TICKER_PREFIX', () => {
  it('is optional, and taken as given when it is a plain name or a hash tag', () => {
    expect(readEnv({}).TICKER_PREFIX).toBeUndefined();
    expect(readEnv({ TICKER_PREFIX: 'feed-2.eu' }).TICKER_PREFIX).toBe('feed-2.eu');
    expect(readEnv({ TICKER_PREFIX: '{ticker}' }).TICKER_PREFIX).toBe('{ticker}');
  });

  it('refuses a prefix that would change how keys hash or split (colons, spaces, stray braces, too long)', () => {
    for (const bad of ['a:b', 'two words', '{open', 'x'.repeat(65)]) {
      expect(() => readEnv({ TICKER_PREFIX: bad })).toThrow(/TICKER_PREFIX: must be 1–64 letters/u);
    }
  });
});
