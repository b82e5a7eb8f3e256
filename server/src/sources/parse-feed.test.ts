// The parser on its own: real publishers' feeds and the awkward cases, no Redis, no HTTP.
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeFeed } from './feed-charset.js';
import { parseFeedDate } from './feed-date.js';
import { FeedError } from './feed-error.js';
import { cutText } from './feed-text.js';
import { parseFeed } from './parse-feed.js';

const REAL = new URL('../../../test/fixtures/real-feeds/', import.meta.url);
const realFeeds = readdirSync(REAL).filter((f) => /\.(rss|atom)$/u.test(f));

/**
 * Counted independently of the parser: opening <item> / <entry> tags in the raw bytes (read as
 * latin1, which maps every byte to one character and cannot fail). `<items>` (RSS 1.0's table of
 * contents) is not an item, hence the `[\s>]`.
 */
function countItems(bytes: Buffer): number {
  const raw = bytes.toString('latin1');
  return (raw.match(/<item[\s>]/gu)?.length ?? 0) + (raw.match(/<entry[\s>]/gu)?.length ?? 0);
}

/** Each published date string of the feed's items, straight from the bytes, for the time check. */
function rawDates(bytes: Buffer): string[] {
  const raw = bytes.toString('latin1');
  const items = raw.match(/<(item|entry)[\s>][\s\S]*?<\/\1>/gu) ?? [];
  // The feed's own publication date first; <updated> only when there is none.
  const first = (i: string) =>
    ['pubDate', 'published', 'dc:date', 'updated'].map((t) => new RegExp(`<${t}>([^<]*)<`, 'u').exec(i)?.[1]).find((d) => d !== undefined);
  return items.map((i) => first(i) ?? '');
}

/** Signs of text decoded with the wrong charset, or decoded too little. */
/** C1 controls are what Node 20.18.3+'s TextDecoder makes of windows-1252's € ’ “ ” – —. */
const MOJIBAKE = /Ã[\u0080-\u00bf]|Ã.|â€|\ufffd|[\u0080-\u009f]/u;
const LEFTOVER = /&(?:[a-z]+|#x?[0-9a-f]+);|&amp|<\/?[a-z][^>]*>/iu;

describe('real feeds', () => {
  it('the fixtures are all there (a missing one must fail, not shrink the test)', () => {
    expect(realFeeds.sort()).toEqual([
      'encoding.rss',
      'feedburner.atom',
      'guardian.rss',
      'heise.atom',
      'heraldsun.rss',
      'incomplete-fields.atom',
      'missing-fields.atom',
      'rss-1.rss',
      'uolNoticias.rss',
    ]);
  });

  it.each(realFeeds)('%s: every item, readable text, the items’ own times', (file) => {
    const bytes = readFileSync(new URL(file, REAL));
    const feed = parseFeed(decodeFeed(bytes).text, { baseUrl: 'https://feeds.example.com/' });
    expect(feed.items).toHaveLength(countItems(bytes));
    const dates = rawDates(bytes);
    feed.items.forEach((item, i) => {
      if (item.text !== null) {
        expect(item.text).not.toMatch(MOJIBAKE);
        expect(item.text).not.toMatch(LEFTOVER);
        expect(item.text).toBe(item.text.trim());
        expect(item.text).not.toMatch(/\s{2}/u);
      }
      if (item.url !== undefined) expect(item.url).toMatch(/^https?:\/\//u);
      // The item's own time when it gives one, equal to what its date string names.
      const d = parseFeedDate(dates[i]);
      if (d === null) expect(item.publishedAt).toBeUndefined();
      else expect(item.publishedAt).toBe(d.toISOString());
    });
  });

  it('known counts, languages and texts (spot checks against the files)', () => {
    const read = (f: string) => parseFeed(decodeFeed(readFileSync(new URL(f, REAL))).text);
    expect(read('guardian.rss').items).toHaveLength(55);
    expect(read('heise.atom').items).toHaveLength(15);
    expect(read('rss-1.rss').format).toBe('rdf');
    expect(read('rss-1.rss').items[0]).toMatchObject({ text: 'Food for fungi', publishedAt: '2017-06-15T17:29:47.000Z' });
    // ISO-8859-1 without any declaration, Portuguese month names in pubDate.
    const uol = read('uolNoticias.rss');
    expect(uol.items[0]).toMatchObject({
      text: 'Ibope: Bolsonaro perde de Haddad, Ciro e Alckmin em simulações de 2º turno',
      publishedAt: '2018-09-24T22:42:40.000Z',
    });
    expect(uol.items.every((i) => i.publishedAt !== undefined)).toBe(true);
    const heise = read('heise.atom');
    expect(heise.items.map((i) => i.text)).toContain('Scrum Day 2016: Bewerbungen für Vorträge und Workshops');
    expect(heise.items[0]!.publishedAt).toBe('2016-02-01T16:22:00.000Z'); // <published>, not <updated>
    expect(read('encoding.rss').items[0]!.text).toBe('Mãe de utente é a nova presidente da Raríssimas');
    expect(read('encoding.rss').lang).toBe('pt-pt');
    // No title, no id: parsed, but nothing to publish or to remember it by.
    expect(read('incomplete-fields.atom').items).toEqual([{ key: null, text: null }]);
    expect(read('missing-fields.atom').items[0]).toMatchObject({ text: null, key: expect.stringContaining('v3.9.0') });
    // No dates at all (RSS 0.92): the poller will use the time it first saw them.
    expect(read('heraldsun.rss').items.map((i) => i.publishedAt)).toEqual([undefined, undefined]);
  });
});

const rss = (items: string, decl = '<?xml version="1.0" encoding="UTF-8"?>') =>
  `${decl}<rss version="2.0"><channel><title>t</title>${items}</channel></rss>`;

describe('text', () => {
  it('decodes each layer of escaping exactly once and strips markup', () => {
    const feed = parseFeed(
      rss(`
      <item><guid>1</guid><title>Brent &amp;amp; WTI  rise</title></item>
      <item><guid>2</guid><title><![CDATA[<b>OPEC+</b> cuts &amp; <i>Brent</i>]]></title></item>
      <item><guid>3</guid><title>AT&amp;T &lt;b&gt;up&lt;/b&gt; &#x20AC;5 &#169;</title></item>
      <item><guid>4</guid><title>&amp;lt;script&amp;gt; is text</title></item>
      <item><guid>5</guid><title>Line one
         line	two</title></item>`),
    );
    expect(feed.items.map((i) => i.text)).toEqual([
      'Brent & WTI rise',
      'OPEC+ cuts & Brent',
      'AT&T up €5 ©',
      '<script> is text',
      'Line one line two',
    ]);
  });

  it('Atom text constructs: text stays literal, html is read as HTML, xhtml keeps its order', () => {
    const feed = parseFeed(`<feed xmlns="http://www.w3.org/2005/Atom">
      <entry><id>a</id><title type="text">x &lt;b&gt; y &amp;amp; z</title></entry>
      <entry><id>b</id><title type="html">x &lt;b&gt;bold&lt;/b&gt; &amp;amp; z</title></entry>
      <entry><id>c</id><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Some <b>bold</b> text</div></title></entry>
    </feed>`);
    expect(feed.items.map((i) => i.text)).toEqual(['x <b> y &amp; z', 'x bold & z', 'Some bold text']);
  });

  it('cuts at 300 code points with an ellipsis, never inside a surrogate pair', () => {
    const long = `${'😀'.repeat(299)}abc`;
    const cut = cutText(long);
    expect(Array.from(cut)).toHaveLength(300);
    expect(cut.endsWith('…')).toBe(true);
    expect(cut).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/u);
    const words = cutText('word '.repeat(80).trim());
    expect(Array.from(words).length).toBeLessThanOrEqual(300);
    expect(words).toMatch(/word…$/u);
    const item = parseFeed(rss(`<item><guid>1</guid><title>${'x'.repeat(400)}</title></item>`)).items[0]!;
    expect(item.text).toBe(`${'x'.repeat(299)}…`);
  });
});

describe('links, identity, dates', () => {
  it('url from link (http/https only, relative ones resolved), Atom rel=alternate', () => {
    const feed = parseFeed(
      rss(`
      <item><title>a</title><link>/news/1</link></item>
      <item><title>b</title><link>javascript:alert(1)</link></item>
      <item><title>c</title><guid>https://x.example/permalink</guid></item>
      <item><title>d</title><guid isPermaLink="false">https://x.example/not-a-link</guid></item>`),
      { baseUrl: 'https://wire.example.com/feed.rss' },
    );
    expect(feed.items.map((i) => i.url)).toEqual(['https://wire.example.com/news/1', undefined, 'https://x.example/permalink', undefined]);
    expect(feed.items[0]!.key).toBe('link:https://wire.example.com/news/1\na');
    expect(feed.items[2]!.key).toBe('guid:https://x.example/permalink');
    const atom = parseFeed(`<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>e</id><title>t</title>
      <link rel="self" href="https://x.example/self"/><link rel="enclosure" href="https://x.example/a.mp3"/>
      <link rel="alternate" type="text/html" href="https://x.example/page"/></entry></feed>`);
    expect(atom.items[0]!.url).toBe('https://x.example/page');
  });

  it('reads RFC 822 (with localized names, two-digit years, zone names) and ISO 8601', () => {
    expect(parseFeedDate('Sat, 14 Dec 2019 18:55:00 +0000')?.toISOString()).toBe('2019-12-14T18:55:00.000Z');
    expect(parseFeedDate('Seg, 24 Set 2018 19:42:40 -0300')?.toISOString()).toBe('2018-09-24T22:42:40.000Z');
    expect(parseFeedDate('Di, 03 Dez 2019 08:00:00 +0100')?.toISOString()).toBe('2019-12-03T07:00:00.000Z');
    expect(parseFeedDate('03 Apr 02 1500 GMT')?.toISOString()).toBe('2002-04-03T15:00:00.000Z');
    expect(parseFeedDate('Mon, 1 Jul 2019 09:30 EDT')?.toISOString()).toBe('2019-07-01T13:30:00.000Z');
    expect(parseFeedDate('2016-02-01T17:54:50+01:00')?.toISOString()).toBe('2016-02-01T16:54:50.000Z');
    expect(parseFeedDate('2017-06-15T10:29:47-07:00')?.toISOString()).toBe('2017-06-15T17:29:47.000Z');
    expect(parseFeedDate('2017-06-15')?.toISOString()).toBe('2017-06-15T00:00:00.000Z');
    for (const bad of [
      '',
      'yesterday',
      'Mon, 32 Foo 2019 10:00:00 GMT',
      'Fri, 31 Feb 2019 10:00:00 GMT',
      'Mon, 1 Jul 2019 25:00 GMT',
      '2019-13-45T99:00:00Z',
    ])
      expect(parseFeedDate(bad)).toBeNull();
  });
});

describe('charsets', () => {
  const title = 'Notícias: São Paulo € ü';
  const doc = (decl: string) => rss(`<item><guid>1</guid><title>${title}</title></item>`, decl);

  it('UTF-8, declared or not', () => {
    expect(parseFeed(decodeFeed(Buffer.from(doc(''), 'utf8')).text).items[0]!.text).toBe(title);
    expect(parseFeed(decodeFeed(Buffer.from(`\ufeff${doc('')}`, 'utf8')).text).items[0]!.text).toBe(title);
  });

  it('ISO-8859-1 / windows-1252 by XML declaration, by HTTP charset, and undeclared: € ’ “ ” – kept', () => {
    // windows-1252 bytes, spelled out: 0x80 €, 0x92 ’, 0x93 “, 0x94 ”, 0x96 –. Browsers read
    // ISO-8859-1 labels as windows-1252, so these must survive under either label.
    const legacyTitle = 'Not\xedcias: S\xe3o Paulo \x80 \xfc \x93x\x94 \x96 Minister\x92s';
    const expected = 'Notícias: São Paulo € ü “x” – Minister’s';
    const latin = (decl: string) => Buffer.from(rss(`<item><guid>1</guid><title>${legacyTitle}</title></item>`, decl), 'latin1');
    expect(decodeFeed(latin('<?xml version="1.0" encoding="ISO-8859-1"?>'))).toMatchObject({ charset: 'windows-1252' });
    expect(parseFeed(decodeFeed(latin('<?xml version="1.0" encoding="ISO-8859-1"?>')).text).items[0]!.text).toBe(expected);
    expect(parseFeed(decodeFeed(latin(''), 'application/rss+xml; charset=iso-8859-1').text).items[0]!.text).toBe(expected);
    expect(parseFeed(decodeFeed(latin('')).text).items[0]!.text).toBe(expected);
    // Claims UTF-8 but is not: still readable.
    expect(parseFeed(decodeFeed(latin('<?xml version="1.0" encoding="UTF-8"?>')).text).items[0]!.text).toBe(expected);
  });

  it('windows-1251 declared over HTTP', () => {
    const cyr = new TextDecoder('windows-1251');
    const bytes = Buffer.from([
      ...Buffer.from('<rss><channel><item><guid>1</guid><title>'),
      0xcd,
      0xee,
      0xe2,
      0xee,
      0xf1,
      0xf2,
      0xe8,
      ...Buffer.from('</title></item></channel></rss>'),
    ]);
    expect(parseFeed(decodeFeed(bytes, 'text/xml; charset=windows-1251').text).items[0]!.text).toBe(
      cyr.decode(Uint8Array.from([0xcd, 0xee, 0xe2, 0xee, 0xf1, 0xf2, 0xe8])),
    );
    expect(parseFeed(decodeFeed(bytes, 'text/xml; charset=windows-1251').text).items[0]!.text).toBe('Новости');
  });
});

describe('not feeds', () => {
  it('broken XML and other documents are FeedErrors with a reason', () => {
    const reason = (text: string) => {
      try {
        parseFeed(text);
        return 'parsed';
      } catch (err) {
        return err instanceof FeedError ? err.reason : `other: ${(err as Error).message}`;
      }
    };
    // Recovered: an unclosed <title> is closed by its item's end tag (as browsers and feed readers do).
    expect(parseFeed('<rss><channel><item><title>x</item></channel></rss>').items[0]?.text).toBe('x');
    // Unrecoverable: cut off before any item was complete.
    expect(reason('<rss><channel><item><title>x</title>')).toBe('invalid_xml');
    expect(reason('<html><body>Not found</body></html>')).toBe('not_a_feed');
    expect(reason('')).toBe('invalid_xml');
    expect(reason('{"items": []}')).toBe('invalid_xml');
    // Nested DOCTYPE entities ("billion laughs") are not expanded into a huge title.
    const laughs = `<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">]><rss><channel><item><title>&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;</title></item></channel></rss>`;
    let size = 0;
    try {
      size = parseFeed(laughs).items[0]?.text?.length ?? 0;
    } catch (err) {
      expect(err).toBeInstanceOf(FeedError);
    }
    expect(size).toBeLessThan(1000);
  });
});
