// Which elements of a feed document are the feed's own (RSS, RDF or Atom, not an extension's
// <title> or <link>), and the recovery of items whose fields or ends were left unclosed.
import { elements } from './xml-query.js';
import type { XmlElement } from './xml-tree.js';

const ATOM_NS = new Set(['http://www.w3.org/2005/Atom', 'http://purl.org/atom/ns#']);
export const ATOM03_NS = 'http://purl.org/atom/ns#';
const RDF_NS = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';
/** Namespaces of RSS extensions: their <title>, <link>, <item> are not the item's own. */
const EXTENSION_NS = new Set([
  'http://purl.org/dc/elements/1.1/',
  'http://purl.org/dc/terms/',
  'http://www.w3.org/2005/Atom',
  'http://purl.org/atom/ns#',
  'http://purl.org/rss/1.0/modules/content/',
  'http://search.yahoo.com/mrss/',
  'http://www.itunes.com/dtds/podcast-1.0.dtd',
  'http://rssnamespace.org/feedburner/ext/1.0',
  'http://www.w3.org/1999/xhtml',
  'http://purl.org/rss/1.0/modules/slash/',
  'http://wellformedweb.org/CommentAPI/',
  'http://www.georss.org/georss',
  'http://www.w3.org/2003/01/geo/wgs84_pos#',
  RDF_NS,
]);
/** The usual prefixes of those extensions, for feeds that use a prefix without declaring it. */
const EXTENSION_PREFIXES = new Set([
  'dc',
  'dcterms',
  'atom',
  'atom10',
  'content',
  'media',
  'itunes',
  'feedburner',
  'xhtml',
  'slash',
  'wfw',
  'georss',
  'geo',
  'rdf',
]);

/** An element of RSS itself (any prefix bound to an RSS namespace, or none), not of an extension. */
export const isRss = (el: XmlElement) => (el.ns === undefined ? !EXTENSION_PREFIXES.has(el.prefix) : !EXTENSION_NS.has(el.ns));
export const isAtom = (el: XmlElement) => (el.ns === undefined ? el.prefix === '' : ATOM_NS.has(el.ns));
export const rssChild = (el: XmlElement, local: string) => elements(el, local).find(isRss);
export const rssChildren = (el: XmlElement, local: string) => elements(el, local).filter(isRss);
export const atomChild = (el: XmlElement, local: string) => elements(el, local).find(isAtom);

/**
 * Items in document order, an item opened inside an unclosed one taken out of it: a missing
 * </item> must not hide the items after it.
 */
export function flattenItems(els: XmlElement[], pick: (el: XmlElement, local: string) => XmlElement[], local: string): XmlElement[] {
  return els.flatMap((el) => [el, ...flattenItems(pick(el, local), pick, local)]);
}

/** The children of an RSS item or Atom entry; none of them holds another. */
const ITEM_FIELDS = new Set([
  'title',
  'link',
  'description',
  'guid',
  'pubDate',
  'author',
  'category',
  'comments',
  'enclosure',
  'source',
  'id',
  'published',
  'updated',
  'issued',
  'modified',
  'created',
  'summary',
  'content',
]);

/**
 * An unclosed field swallows the fields after it (`<title>A<link>…</link></item>`): they are
 * moved back up to the item, after it, as browsers' and feedparser's recovery reads them.
 */
export function hoistFields(item: XmlElement): XmlElement {
  for (let i = 0; i < item.children.length; i++) {
    const c = item.children[i]!;
    if (typeof c === 'string' || c.end === 'tag') continue;
    const at = c.children.findIndex((k) => typeof k !== 'string' && ITEM_FIELDS.has(k.local) && k.local !== c.local);
    if (at >= 0) item.children.splice(i + 1, 0, ...c.children.splice(at));
  }
  return item;
}

/** An item cut off by the end of the document is not intact: its title or link may be half there. */
export const intact = (el: XmlElement) => el.end !== 'eof';
