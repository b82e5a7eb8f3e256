// RSS 2.0 (and 0.9x), RSS 1.0 (RDF) and Atom 1.0 → plain items. Pure: no I/O, no clock.
import { HttpUrlSchema, LangSchema, toPlainLine } from '@headline-ticker/sdk/schemas';
import { FeedError } from './feed-error.js';
import { parseFeedDate } from './feed-date.js';
import { cutText, htmlToText } from './feed-text.js';
import { element, elements, parseXml, textOf, type XmlElement } from './xml-tree.js';

export type FeedFormat = 'rss' | 'rdf' | 'atom';

export interface FeedItem {
  /** what the item is remembered by: its guid/id, else its link and title; null when it has none */
  key: string | null;
  /** headline text: the title as plain text, cut to the limit; null when the item has no title */
  text: string | null;
  url?: string;
  /** the item's own time (ISO 8601 UTC), absent when it gives none we can read */
  publishedAt?: string;
}

export interface ParsedFeed {
  format: FeedFormat;
  /** the feed's language (BCP 47), when it declares a valid one */
  lang?: string;
  /** in document order */
  items: FeedItem[];
}

export interface ParseOptions {
  /** resolves relative links (the URL the feed was fetched from) */
  baseUrl?: string;
}

/** Parses a decoded feed document. Throws FeedError('invalid_xml' | 'not_a_feed'). */
export function parseFeed(text: string, options: ParseOptions = {}): ParsedFeed {
  const root = parseXml(text);
  switch (root.local) {
    case 'rss': {
      const channel = element(root, 'channel');
      if (channel === undefined) throw new FeedError('not_a_feed', 'an <rss> document without a <channel>');
      return { format: 'rss', ...langOf(textOf(element(channel, 'language'))), items: elements(channel, 'item').map((i) => rssItem(i, options)) };
    }
    case 'RDF': {
      // RSS 1.0: items are siblings of the channel, not its children.
      const channel = element(root, 'channel');
      const lang = channel ? textOf(element(channel, 'language')) : '';
      return { format: 'rdf', ...langOf(lang), items: elements(root, 'item').map((i) => rssItem(i, options)) };
    }
    case 'feed':
      return { format: 'atom', ...langOf(root.attrs['xml:lang'] ?? ''), items: elements(root, 'entry').map((e) => atomEntry(e, options)) };
    default:
      throw new FeedError('not_a_feed', `<${root.name}> is not an RSS or Atom document`);
  }
}

function langOf(raw: string): { lang?: string } {
  const parsed = LangSchema.safeParse(raw.trim());
  return parsed.success && parsed.data !== '' ? { lang: parsed.data } : {};
}

/** An http(s) URL, resolved against the feed's own URL; anything else (javascript:, mailto:…) is dropped. */
function httpUrl(raw: string, baseUrl: string | undefined): string | undefined {
  const trimmed = raw.trim();
  if (trimmed === '') return undefined;
  let absolute: string;
  try {
    absolute = new URL(trimmed, baseUrl).href;
  } catch {
    return undefined;
  }
  const parsed = HttpUrlSchema.safeParse(absolute);
  return parsed.success ? parsed.data : undefined;
}

/** The first of the named children that holds a readable date. */
function dateOf(el: XmlElement, locals: string[]): string | undefined {
  for (const local of locals) {
    for (const child of elements(el, local)) {
      const d = parseFeedDate(textOf(child));
      if (d !== null) return d.toISOString();
    }
  }
  return undefined;
}

const headline = (plain: string): string | null => (plain === '' ? null : cutText(plain));

function itemKey(guid: string, url: string | undefined, text: string | null): string | null {
  if (guid !== '') return `guid:${guid}`;
  if (url === undefined && text === null) return null;
  return `link:${url ?? ''}\n${text ?? ''}`;
}

function rssItem(item: XmlElement, o: ParseOptions): FeedItem {
  // RSS titles are HTML in practice ("Brent &amp;amp; WTI", CDATA with tags): read them as HTML,
  // so each layer's escaping is undone exactly once. Only un-prefixed <title>/<link> count, so
  // dc:title or atom:link beside them cannot stand in.
  const title = item.children.find((c): c is XmlElement => typeof c !== 'string' && c.name === 'title');
  const text = headline(htmlToText(textOf(title)));
  const guidEl = item.children.find((c): c is XmlElement => typeof c !== 'string' && c.name === 'guid');
  const guid = toPlainLine(textOf(guidEl)) || (item.attrs['rdf:about'] ?? '').trim();
  const link = item.children.find((c): c is XmlElement => typeof c !== 'string' && c.name === 'link');
  let url = httpUrl(textOf(link), o.baseUrl);
  // A guid is a permalink unless it says otherwise (RSS 2.0).
  if (url === undefined && guidEl !== undefined && guidEl.attrs['isPermaLink'] !== 'false') url = httpUrl(guid, o.baseUrl);
  const publishedAt = dateOf(item, ['pubDate', 'date', 'published', 'updated']);
  return { key: itemKey(guid, url, text), text, ...(url ? { url } : {}), ...(publishedAt ? { publishedAt } : {}) };
}

/** Atom text constructs: type="text" (default) is plain, "html" is escaped HTML, "xhtml" is inline XML. */
function atomText(el: XmlElement | undefined): string {
  if (el === undefined) return '';
  const type = (el.attrs['type'] ?? 'text').toLowerCase();
  if (type === 'html' || type === 'text/html') return htmlToText(textOf(el));
  return toPlainLine(textOf(el));
}

function atomEntry(entry: XmlElement, o: ParseOptions): FeedItem {
  const text = headline(atomText(element(entry, 'title')));
  const links = elements(entry, 'link');
  const alternate =
    links.find((l) => (l.attrs['rel'] ?? 'alternate') === 'alternate' && (l.attrs['type'] ?? 'text/html').includes('html')) ??
    links.find((l) => (l.attrs['rel'] ?? 'alternate') === 'alternate');
  const url = alternate ? httpUrl(alternate.attrs['href'] ?? '', o.baseUrl) : undefined;
  const guid = toPlainLine(textOf(element(entry, 'id')));
  const publishedAt = dateOf(entry, ['published', 'issued', 'updated', 'modified', 'date']);
  return { key: itemKey(guid, url, text), text, ...(url ? { url } : {}), ...(publishedAt ? { publishedAt } : {}) };
}
