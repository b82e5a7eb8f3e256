// RSS 2.0 (and 0.9x), RSS 1.0 (RDF), Atom 1.0 and Atom 0.3 → plain items. Pure: no I/O, no clock.
import { HttpUrlSchema, LangSchema, toPlainLine } from '@headline-ticker/sdk/schemas';
import { FeedError } from './feed-error.js';
import { parseFeedDate } from './feed-date.js';
import { cutText, htmlToText } from './feed-text.js';
import { element, elements, innerMarkup, textOf } from './xml-query.js';
import { parseXml, type XmlElement } from './xml-tree.js';
import { ATOM03_NS, atomChild, flattenItems, hoistFields, intact, isAtom, isRss, rssChild, rssChildren } from './feed-elements.js';

export type FeedFormat = 'rss' | 'rdf' | 'atom' | 'atom03';

export interface FeedItem {
  /** what the item is remembered by: its guid/id, else its link and title; null when it has none */
  key: string | null;
  /** headline text: the title as plain text, cut to the limit; null when the item has no title */
  text: string | null;
  url?: string;
  /** the guid (RSS) or id (Atom) as written, when there is one */
  guid?: string;
  /** the item's own time (ISO 8601 UTC), absent when it gives none we can read */
  publishedAt?: string;
}

export interface ParsedFeed {
  format: FeedFormat;
  /** the feed's language (BCP 47), when it declares a valid one */
  lang?: string;
  /** in document order; an item cut off by the end of the document is not among them */
  items: FeedItem[];
  /** malformations that were repaired while reading (empty for a well-formed feed) */
  repairs: string[];
}

export interface ParseOptions {
  /** resolves relative links (the URL the feed was fetched from) */
  baseUrl?: string;
}

/**
 * Parses a decoded feed document, recovering from bare ampersands, unclosed elements and a
 * truncated end. Throws FeedError('invalid_xml') when there is no document, or when it was cut
 * off before its first item was complete; FeedError('not_a_feed') for other documents.
 */
export function parseFeed(text: string, options: ParseOptions = {}): ParsedFeed {
  const { root, repairs } = parseXml(text);
  const truncated = root.end === 'eof';
  let format: FeedFormat;
  let lang: string;
  let itemEls: XmlElement[];
  if (root.local === 'rss' || (root.local === 'channel' && isRss(root))) {
    // <channel> as the document element: RSS 0.9x written without its <rss> wrapper.
    const channel = root.local === 'channel' ? root : rssChild(root, 'channel');
    if (channel === undefined) throw new FeedError(truncated ? 'invalid_xml' : 'not_a_feed', 'an <rss> document without a <channel>');
    format = 'rss';
    lang = textOf(rssChild(channel, 'language'));
    itemEls = flattenItems(rssChildren(channel, 'item'), rssChildren, 'item');
  } else if (root.local === 'RDF') {
    // RSS 1.0 (and 0.90): items are siblings of the channel, not its children.
    const channel = rssChild(root, 'channel');
    format = 'rdf';
    lang = channel ? textOf(rssChild(channel, 'language')) || textOf(element(channel, 'language')) : '';
    itemEls = flattenItems(rssChildren(root, 'item'), rssChildren, 'item');
  } else if (root.local === 'feed' && isAtom(root)) {
    format = root.ns === ATOM03_NS || root.attrs['version'] === '0.3' ? 'atom03' : 'atom';
    lang = root.attrs['xml:lang'] ?? '';
    itemEls = flattenItems(elements(root, 'entry').filter(isAtom), (el, l) => elements(el, l).filter(isAtom), 'entry');
  } else {
    throw new FeedError(truncated && text.length < 64 ? 'invalid_xml' : 'not_a_feed', `<${root.name}> is not an RSS or Atom document`);
  }
  const kept = itemEls.filter(intact).map(hoistFields);
  if (truncated && kept.length === 0) {
    throw new FeedError(
      'invalid_xml',
      itemEls.length > 0 ? 'the document ends inside its first item' : 'the document ends before any item',
    );
  }
  const read = format === 'atom' || format === 'atom03' ? atomEntry : rssItem;
  return { format, ...langOf(lang), items: kept.map((el) => read(el, options)), repairs };
}

function langOf(raw: string): { lang?: string } {
  const parsed = LangSchema.safeParse(raw.trim());
  return parsed.success && parsed.data !== '' ? { lang: parsed.data } : {};
}

/** An http(s) URL, resolved against xml:base and the feed's own URL; anything else (javascript:, mailto:…) is dropped. */
function httpUrl(raw: string, baseUrl: string | undefined, xmlBase?: string): string | undefined {
  const trimmed = raw.trim();
  if (trimmed === '') return undefined;
  let absolute: string;
  try {
    const base = xmlBase !== undefined ? new URL(xmlBase, baseUrl).href : baseUrl;
    absolute = new URL(trimmed, base).href;
  } catch {
    return undefined;
  }
  const parsed = HttpUrlSchema.safeParse(absolute);
  return parsed.success ? parsed.data : undefined;
}

/** The first of the named children that holds a readable date, in the order of `locals`. */
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

/** RSS: pubDate, then Dublin Core (dc:date, dcterms:issued/created/modified), then Atom's. */
const RSS_DATES = ['pubDate', 'date', 'issued', 'created', 'published', 'modified', 'updated'];

function rssItem(item: XmlElement, o: ParseOptions): FeedItem {
  // RSS titles are HTML in practice ("Brent &amp;amp; WTI", CDATA with tags): read as HTML,
  // so each layer's escaping is undone exactly once.
  const text = headline(htmlToText(textOf(rssChild(item, 'title'))));
  const guidEl = rssChild(item, 'guid');
  const guid = toPlainLine(textOf(guidEl)) || (item.attrs['rdf:about'] ?? '').trim();
  const link = rssChild(item, 'link');
  let url = link ? httpUrl(textOf(link), o.baseUrl, link.base) : undefined;
  // A guid is a permalink unless it says otherwise (RSS 2.0).
  if (url === undefined && guidEl !== undefined && guidEl.attrs['isPermaLink'] !== 'false') url = httpUrl(guid, o.baseUrl, guidEl.base);
  return feedItem(text, url, guid, dateOf(item, RSS_DATES));
}

/**
 * Atom text constructs. 1.0: type="text" (default) is plain, "html" is escaped HTML, "xhtml" is
 * inline markup. 0.3: a MIME type (default text/plain) and a mode: "xml" (inline, the default),
 * "escaped", or "base64". Every HTML form goes through the one HTML-to-text path.
 */
function atomText(el: XmlElement | undefined): string {
  if (el === undefined) return '';
  const type = (el.attrs['type'] ?? 'text').trim().toLowerCase();
  const mode = (el.attrs['mode'] ?? 'xml').trim().toLowerCase();
  const html = type === 'html' || type === 'text/html';
  const xhtml = type === 'xhtml' || type === 'application/xhtml+xml';
  if (mode === 'base64') {
    const decoded = Buffer.from(textOf(el).replace(/\s+/gu, ''), 'base64').toString('utf8');
    return html || xhtml ? htmlToText(decoded) : toPlainLine(decoded);
  }
  if (xhtml && mode === 'xml') return htmlToText(innerMarkup(el));
  if (html || xhtml) return htmlToText(textOf(el));
  if (elements(el).length > 0) return htmlToText(innerMarkup(el)); // inline markup in a "text" title
  return toPlainLine(textOf(el));
}

/** Atom: published (1.0) or issued (0.3) first, then created (0.3), then updated / modified. */
const ATOM_DATES = ['published', 'issued', 'created', 'updated', 'modified', 'date'];

function atomEntry(entry: XmlElement, o: ParseOptions): FeedItem {
  const text = headline(atomText(atomChild(entry, 'title')));
  const links = elements(entry, 'link').filter(isAtom);
  const alternate =
    links.find((l) => (l.attrs['rel'] ?? 'alternate') === 'alternate' && (l.attrs['type'] ?? 'text/html').includes('html')) ??
    links.find((l) => (l.attrs['rel'] ?? 'alternate') === 'alternate');
  const url = alternate ? httpUrl(alternate.attrs['href'] ?? '', o.baseUrl, alternate.base) : undefined;
  const guid = toPlainLine(textOf(atomChild(entry, 'id')));
  return feedItem(text, url, guid, dateOf(entry, ATOM_DATES));
}

/** One item as every format yields it: absent fields left out, keyed for the feed's memory. */
function feedItem(text: string | null, url: string | undefined, guid: string, publishedAt: string | undefined): FeedItem {
  return {
    key: itemKey(guid, url, text),
    text,
    ...(url ? { url } : {}),
    ...(guid ? { guid } : {}),
    ...(publishedAt ? { publishedAt } : {}),
  };
}
