import { describe, expect, it } from 'vitest';
import {
  CorrectionInputSchema,
  HeadlineInputSchema,
  HistoryQuerySchema,
  SubscribeRequestSchema,
  charCount,
  toPlainLine,
} from './schemas.js';

describe('toPlainLine', () => {
  it('trims and collapses every run of whitespace, newlines and tabs included', () => {
    expect(toPlainLine('  Line one\n\tLine   two  ')).toBe('Line one Line two');
  });
  it('drops control characters but keeps zero-width and bidi marks as text', () => {
    expect(toPlainLine('a\u0000b\u0007c\u009f')).toBe('abc');
    expect(toPlainLine('Zero\u200bwidth \u202eRTL\u202c')).toBe('Zero\u200bwidth \u202eRTL\u202c');
  });
});

describe('HeadlineInputSchema', () => {
  it('normalises: defaults, lowercase unique topics, upper-case symbols', () => {
    const h = HeadlineInputSchema.parse({ text: ' Oil ', topics: ['Energy', 'energy', ' oil-gas '], symbols: ['gazp', 'brk.b'] });
    expect(h).toEqual({
      text: 'Oil',
      topics: ['energy', 'oil-gas'],
      symbols: ['GAZP', 'BRK.B'],
      urgency: 'routine',
      lang: 'en',
      source: 'desk',
    });
  });
  it('counts the 300-character limit in code points, after collapsing whitespace', () => {
    expect(HeadlineInputSchema.safeParse({ text: '📉'.repeat(300) }).success).toBe(true);
    expect(HeadlineInputSchema.safeParse({ text: '📉'.repeat(301) }).success).toBe(false);
    expect(HeadlineInputSchema.safeParse({ text: `${'x'.repeat(150)}${' '.repeat(200)}${'y'.repeat(149)}` }).success).toBe(true);
    expect(charCount('a📉b')).toBe(3);
  });
  it.each([
    [{ text: '' }, 'text'],
    [{ text: ' \t ' }, 'text'],
    [{ text: 'x', url: 'javascript:alert(1)' }, 'url'],
    [{ text: 'x', url: 'data:text/html,hi' }, 'url'],
    [{ text: 'x', url: '/relative' }, 'url'],
    [{ text: 'x', urgency: 'breaking!!!' }, 'urgency'],
    [{ text: 'x', topics: ['Not A Slug!'] }, 'topics.0'],
    [{ text: 'x', symbols: ['$$$'] }, 'symbols.0'],
    [{ text: 'x', topics: Array.from({ length: 21 }, (_, i) => `t${i}`) }, 'topics'],
    [{ text: 'x', embargoUntil: 'tomorrow' }, 'embargoUntil'],
    [{ text: 'x', lang: 'english please' }, 'lang'],
    [{ text: 'x', idempotencyKey: 'has space' }, 'idempotencyKey'],
    [{ text: 'x', extra: 1 }, ''],
    [{ text: 42 }, 'text'],
  ])('rejects %j at %s', (input, path) => {
    const r = HeadlineInputSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});

describe('CorrectionInputSchema', () => {
  it('needs at least one change besides the idempotency key', () => {
    expect(CorrectionInputSchema.safeParse({}).success).toBe(false);
    expect(CorrectionInputSchema.safeParse({ idempotencyKey: 'k1' }).success).toBe(false);
    expect(CorrectionInputSchema.parse({ text: ' fixed ' })).toEqual({ text: 'fixed' });
  });
});

describe('SubscribeRequestSchema and HistoryQuerySchema', () => {
  it('accepts "*" and slugs, rejects negatives and oversized limits', () => {
    expect(SubscribeRequestSchema.parse({ topics: ['*'], since: 0, limit: 0 })).toEqual({ topics: ['*'], since: 0, limit: 0 });
    expect(SubscribeRequestSchema.safeParse({ since: -1 }).success).toBe(false);
    expect(SubscribeRequestSchema.safeParse({ limit: 501 }).success).toBe(false);
    expect(SubscribeRequestSchema.safeParse({ since: 1.5 }).success).toBe(false);
    expect(SubscribeRequestSchema.safeParse({ topics: 'energy' }).success).toBe(false);
  });
  it('reads comma-separated lists and numbers from a query string', () => {
    expect(HistoryQuerySchema.parse({ topics: 'energy, politics', symbols: 'gazp', since: '10', limit: '5' })).toEqual({
      topics: ['energy', 'politics'],
      symbols: ['GAZP'],
      since: 10,
      limit: 5,
    });
    expect(HistoryQuerySchema.safeParse({ limit: 'many' }).success).toBe(false);
  });
});
