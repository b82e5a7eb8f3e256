import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Headline } from '@headline-ticker/sdk/protocol';
import { stampFormatter } from '../../widgets/src/agency-time.js';
import { announcementOf, parseAnnounce } from '../../widgets/src/announcer.js';
import { HeadlineStore } from '../../widgets/src/headline-store.js';
import { covers, matchesFilter, parseFilter, unionFilter } from '../../widgets/src/widget-filter.js';

const wire = JSON.parse(readFileSync(new URL('../fixtures/wire-2019-12-14.json', import.meta.url), 'utf8')) as {
  timezone: string;
  headlines: { publishedAt: string }[];
  expectedListLines: string[];
};

let seq = 0;
const headline = (over: Partial<Headline> & { id: string }): Headline => ({
  seq: ++seq,
  version: 1,
  status: 'published',
  text: `text of ${over.id}`,
  topics: ['energy'],
  symbols: [],
  urgency: 'routine',
  lang: 'en',
  source: 'desk',
  publishedAt: '2019-12-14T10:00:00.000Z',
  updatedAt: '2019-12-14T10:00:00.000Z',
  ...over,
});

describe('agency time stamp', () => {
  it(`formats the wire fixture in ${wire.timezone} as its expected lines`, () => {
    const stamp = stampFormatter({ timeZone: wire.timezone });
    expect(wire.headlines.map((h) => stamp(h.publishedAt))).toEqual(wire.expectedListLines);
  });

  it('is 24-hour with two digits at midnight, and uses a locale only when asked', () => {
    expect(stampFormatter({ timeZone: 'UTC' })('2020-01-05T00:07:00Z')).toBe('01/05 00:07');
    expect(stampFormatter({ timeZone: 'UTC', locale: 'de-DE' })('2020-01-05T00:07:00Z')).toBe('05.01.20, 00:07');
  });

  it("falls back to the reader's zone for an unknown zone, and prints nothing for a bad time", () => {
    const reader = stampFormatter({})('2020-01-05T00:07:00Z');
    expect(stampFormatter({ timeZone: 'Mars/Olympus' })('2020-01-05T00:07:00Z')).toBe(reader);
    expect(stampFormatter({ timeZone: 'UTC' })('not a time')).toBe('');
  });
});

describe("a widget's headlines", () => {
  it('newest on top; a correction keeps its place; a withdrawal removes; an older version is ignored', () => {
    const store = new HeadlineStore(parseFilter('energy', null), 10);
    store.reset([headline({ id: 'a', publishedAt: '2019-12-14T10:00:00Z' }), headline({ id: 'b', publishedAt: '2019-12-14T11:00:00Z' })]);
    store.apply(headline({ id: 'c', publishedAt: '2019-12-14T12:00:00Z' }));
    expect(store.visible().map((h) => h.id)).toEqual(['c', 'b', 'a']);
    store.apply(headline({ id: 'b', version: 2, status: 'corrected', text: 'fixed', publishedAt: '2019-12-14T11:00:00Z' }));
    expect(store.visible().map((h) => h.text)).toEqual(['text of c', 'fixed', 'text of a']);
    expect(store.apply(headline({ id: 'b', version: 1, text: 'stale' }))).toBe(false);
    store.apply(headline({ id: 'a', version: 2, status: 'withdrawn' }));
    expect(store.visible().map((h) => h.id)).toEqual(['c', 'b']);
  });

  it('drops a headline corrected out of its filter, and shows at most limit', () => {
    const store = new HeadlineStore(parseFilter('energy', null), 2);
    store.reset(['a', 'b', 'c'].map((id, i) => headline({ id, publishedAt: `2019-12-14T1${i}:00:00Z` })));
    expect(store.visible().map((h) => h.id)).toEqual(['c', 'b']);
    store.apply(headline({ id: 'c', version: 2, status: 'corrected', topics: ['sport'], publishedAt: '2019-12-14T12:00:00Z' }));
    expect(store.visible().map((h) => h.id)).toEqual(['b', 'a']);
  });
});

describe('widget filters', () => {
  it('reads attributes leniently: case, spaces, and malformed entries dropped', () => {
    expect(parseFilter(' Politics, energy  bad_topic!', 'gazp, brk.b  $$$')).toEqual({
      topics: ['politics', 'energy'],
      symbols: ['GAZP', 'BRK.B'],
    });
  });

  it('matches by a shared topic or symbol; no filter is everything', () => {
    const f = parseFilter('energy', 'AAPL');
    expect(matchesFilter(f, { topics: ['energy'], symbols: [] })).toBe(true);
    expect(matchesFilter(f, { topics: ['tech'], symbols: ['AAPL'] })).toBe(true);
    expect(matchesFilter(f, { topics: ['tech'], symbols: [] })).toBe(false);
    expect(matchesFilter(parseFilter(null, null), { topics: ['tech'], symbols: [] })).toBe(true);
  });

  it('unites filters for the shared connection, widening to everything past the server limits', () => {
    const u = unionFilter([parseFilter('energy', null), parseFilter('politics', 'GAZP')]);
    expect(u).toEqual({ topics: ['energy', 'politics'], symbols: ['GAZP'] });
    expect(covers(u, parseFilter('energy', 'GAZP'))).toBe(true);
    expect(covers(u, parseFilter('sport', null))).toBe(false);
    expect(covers(u, parseFilter(null, null))).toBe(false);
    expect(unionFilter([parseFilter('energy', null), parseFilter('*', null)])).toEqual({ topics: [], symbols: [] });
    const many = Array.from({ length: 21 }, (_, i) => parseFilter(`t${i}`, null));
    expect(unionFilter(many)).toEqual({ topics: [], symbols: [] });
  });
});

describe('what the widget says (announce)', () => {
  it('reads the attribute: flash unless all or none', () => {
    expect([null, '', 'flash', 'ALL', ' none ', 'everything'].map(parseAnnounce)).toEqual([
      'flash',
      'flash',
      'flash',
      'all',
      'none',
      'flash',
    ]);
  });

  it('flash: flashes and what becomes of them; all: everything, labelled; none: nothing', () => {
    const flash = headline({ id: 'f', urgency: 'flash', text: 'Oil jumps 5%' });
    const routine = headline({ id: 'r', text: 'Markets open' });
    const corrected = { ...flash, version: 2, status: 'corrected' as const, text: 'Oil jumps 6%' };
    const downgraded = { ...corrected, urgency: 'urgent' as const };
    const withdrawn = { ...flash, version: 3, status: 'withdrawn' as const };
    expect(announcementOf('flash', flash, undefined)).toBe('Flash: Oil jumps 5%');
    expect(announcementOf('flash', routine, undefined)).toBeNull();
    expect(announcementOf('flash', corrected, flash)).toBe('Corrected: Oil jumps 6%');
    // A flash corrected down to urgent: the reader heard the flash, so hears the correction.
    expect(announcementOf('flash', downgraded, flash)).toBe('Corrected: Oil jumps 6%');
    expect(announcementOf('flash', withdrawn, corrected)).toBe('Withdrawn: Oil jumps 6%');
    expect(announcementOf('all', routine, undefined)).toBe('Markets open');
    expect(announcementOf('all', headline({ id: 'b', urgency: 'bulletin', text: 'Ceasefire' }), undefined)).toBe('Bulletin: Ceasefire');
    expect(announcementOf('none', flash, undefined)).toBeNull();
  });
});
