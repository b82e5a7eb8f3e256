// The feed corpus (test/fixtures/feeds/): every case through check-feed's code path, compared
// with the headline text, url and instant it must give, or the error it must be refused with.
import { describe, expect, it } from 'vitest';
import { checkFeedBytes } from '../../server/src/sources/check-feed.js';
import { charsetCases } from '../fixtures/feeds/charsets.cases.js';
import { dateCases } from '../fixtures/feeds/dates.cases.js';
import { entityCases } from '../fixtures/feeds/entities.cases.js';
import { recoveryCases } from '../fixtures/feeds/recovery.cases.js';
import { CORPUS_NOW, type FeedCase } from '../fixtures/feeds/corpus.js';

const groups: [string, FeedCase[]][] = [
  ['charsets', charsetCases],
  ['references and markup', entityCases],
  ['recovery', recoveryCases],
  ['dates', dateCases],
];

describe.each(groups)('%s', (_group, cases) => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(c.source.length).toBeGreaterThan(10);
    const bytes = typeof c.body === 'string' ? Buffer.from(c.body, 'utf8') : c.body;
    const result = checkFeedBytes(c.name, bytes, { contentType: c.contentType ?? null, ...(c.baseUrl ? { baseUrl: c.baseUrl } : {}), now: CORPUS_NOW });
    if (c.error !== undefined) {
      expect(result).toMatchObject({ ok: false, error: { code: c.error } });
      expect(result.error!.message.length).toBeGreaterThan(0);
      return;
    }
    expect(result.error).toBeNull();
    if (c.format) expect(result.format).toBe(c.format);
    const keys = (e: object) => Object.keys(e);
    expect(result.items.map((got, i) => Object.fromEntries(keys(c.items![i] ?? got).map((k) => [k, got[k as keyof typeof got]])))).toEqual(c.items);
  });
});
