import { describe, expect, it } from 'vitest';
import { isEverything, sharesTopicOrSymbol } from './protocol.js';

describe('the filter rules both sides share', () => {
  it('"everything" is a `*` topic, or no topics and no symbols', () => {
    expect(isEverything({})).toBe(true);
    expect(isEverything({ topics: [], symbols: [] })).toBe(true);
    expect(isEverything({ topics: ['energy', '*'] })).toBe(true);
    expect(isEverything({ topics: ['energy'] })).toBe(false);
    expect(isEverything({ symbols: ['AAPL'] })).toBe(false);
  });

  it('a headline matches on one shared topic or symbol, from a Set or a list', () => {
    const h = { topics: ['energy'], symbols: ['BP'] };
    expect(sharesTopicOrSymbol(h, new Set(['energy']), new Set())).toBe(true);
    expect(sharesTopicOrSymbol(h, ['tech'], ['BP'])).toBe(true);
    expect(sharesTopicOrSymbol(h, ['tech'], new Set(['AAPL']))).toBe(false);
  });
});
