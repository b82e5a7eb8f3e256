// Feed XML → a small element tree, recovering from what real feeds get wrong. Browsers and
// mature feed readers show every intact item of a feed with a bare `&` in a link or a cut-off
// end; a strict XML parser would refuse the whole document. So this reads with htmlparser2's
// tokenizer in XML mode (case-sensitive names, CDATA, self-closing tags), decodes character
// references itself (exactly once, CDATA untouched), resolves namespaces, and records how each
// element ended, so a caller can keep the items that were complete and drop one cut in half.
// DOCTYPE entity declarations are never expanded (no "billion laughs").
import { decodeHTMLStrict } from 'entities';
import { Parser, type Handler } from 'htmlparser2';
import { FeedError } from './feed-error.js';

/** How an element ended: its own end tag, an ancestor's end tag, or the end of the document. */
export type ElementEnd = 'tag' | 'ancestor' | 'eof';

/** An XML element with its children in document order (mixed content keeps its order). */
export interface XmlElement {
  /** the qualified name as written, e.g. "dc:date" */
  name: string;
  /** the name without its prefix, e.g. "date" */
  local: string;
  /** the prefix ("" for none) */
  prefix: string;
  /** the namespace URI in scope for the prefix; undefined when none is declared */
  ns: string | undefined;
  /** attribute values with character references decoded */
  attrs: Record<string, string>;
  children: XmlNode[];
  /** xml:base in effect here (RFC 3986-resolved against ancestors' xml:base), if any */
  base?: string;
  end: ElementEnd;
}
export type XmlNode = XmlElement | string;

export interface XmlDocument {
  root: XmlElement;
  /** malformations repaired while reading, e.g. "bare ampersand", "unclosed <item>" */
  repairs: string[];
}

/**
 * Bounds on what a document may make us build. htmlparser2 keeps its open elements in an array
 * it unshifts, so nesting costs time quadratic in depth (200 000 nested tags took minutes); and
 * a 5 MiB body of `<a/>` would be 1.7 million objects. Real feeds nest a few dozen deep (unclosed
 * HTML inside a description included) and hold a few tens of thousands of elements.
 */
export const MAX_DEPTH = 512;
export const MAX_ELEMENTS = 250_000;

/** Local names of the document elements of RSS, RDF and Atom. */
const FEED_ROOTS = new Set(['rss', 'RDF', 'feed', 'channel']);

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const REF = /&(?:#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,8})|([A-Za-z][A-Za-z0-9]{0,31}));/gu;

/**
 * Decodes the character references of raw XML text, once. Numeric references follow HTML's
 * rules (which feed readers follow): 0x80–0x9F name the windows-1252 characters they were meant
 * as (`&#146;` is ’), invalid code points become U+FFFD. An HTML entity name undeclared in XML
 * (`&eacute;`, common in RSS 0.91) is decoded as HTML; an unknown name stays as written.
 */
export function decodeReferences(raw: string, onBare?: () => void): string {
  if (!raw.includes('&')) return raw;
  if (onBare !== undefined && /&(?!#[0-9]{1,8};|#[xX][0-9a-fA-F]{1,8};|[A-Za-z][A-Za-z0-9]{0,31};)/u.test(raw)) onBare();
  return raw.replace(REF, (ref, dec: string | undefined, hex: string | undefined, name: string | undefined) => {
    if (name !== undefined) return XML_ENTITIES[name] ?? decodeHTMLStrict(ref);
    const cp = dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex!, 16);
    return decodeHTMLStrict(`&#${cp};`);
  });
}

function resolveBase(attr: string, parent: string | undefined): string {
  if (parent === undefined) return attr;
  try {
    return new URL(attr, parent).href;
  } catch {
    return attr;
  }
}

/** An element as opened: its namespace from the scope it opens (its own xmlns declarations included), its base. */
function openElement(
  name: string,
  rawAttrs: Record<string, string>,
  parent: XmlElement,
  parentScope: Record<string, string>,
  bare: () => void,
): { el: XmlElement; scope: Record<string, string> } {
  const attrs: Record<string, string> = {};
  const scope = { ...parentScope };
  for (const [k, v] of Object.entries(rawAttrs)) {
    const value = decodeReferences(v, bare);
    attrs[k] = value;
    if (k === 'xmlns') scope[''] = value;
    else if (k.startsWith('xmlns:')) scope[k.slice(6)] = value;
  }
  const colon = name.indexOf(':');
  const prefix = colon > 0 ? name.slice(0, colon) : '';
  const el: XmlElement = {
    name,
    local: colon > 0 ? name.slice(colon + 1) : name,
    prefix,
    ns: scope[prefix],
    attrs,
    children: [],
    end: 'eof',
  };
  const base = attrs['xml:base'] !== undefined ? resolveBase(attrs['xml:base'], parent.base) : parent.base;
  if (base !== undefined) el.base = base;
  return { el, scope };
}

/** The feed's root element. */
function documentRoot(top: XmlElement, text: string, repairs: Set<string>): XmlElement {
  // Text or markup before the document element (a PHP warning, a stray <br>) is not the feed.
  const tops = top.children.filter((n): n is XmlElement => typeof n !== 'string');
  const root = tops.find((e) => FEED_ROOTS.has(e.local)) ?? tops[0];
  if (root !== undefined && root !== tops[0]) repairs.add(`markup before the document element <${root.name}>`);
  if (root === undefined)
    throw new FeedError('invalid_xml', text.trim() === '' ? 'the document is empty' : 'no XML element in the document');
  return root;
}

/**
 * Reads a feed document. Throws FeedError('invalid_xml') when there is no element at all or the
 * nesting is absurd, FeedError('too_large') past MAX_ELEMENTS; anything else is recovered, and
 * `repairs` says what was.
 */
export function parseXml(text: string): XmlDocument {
  const repairs = new Set<string>();
  const tree = treeBuilder(repairs);
  const parser = new Parser(tree.handler, { xmlMode: true, decodeEntities: false, recognizeCDATA: true, recognizeSelfClosing: true });
  parser.write(text);
  tree.reachedEnd();
  parser.end();
  tree.flush();
  return { root: documentRoot(tree.top, text, repairs), repairs: [...repairs] };
}

/** The tokenizer's callbacks, building the tree under `top` and noting each repair. */
function treeBuilder(repairs: Set<string>): { top: XmlElement; handler: Partial<Handler>; reachedEnd(): void; flush(): void } {
  const top: XmlElement = { name: '#document', local: '#document', prefix: '', ns: undefined, attrs: {}, children: [], end: 'tag' };
  const stack: XmlElement[] = [top];
  const scopes: Record<string, string>[] = [{ xml: 'http://www.w3.org/XML/1998/namespace' }];
  let inCdata = false;
  let ending = false;
  let count = 0;
  const bare = () => repairs.add('bare ampersand');
  let pending = '';
  const append = (value: string) => {
    const parent = stack[stack.length - 1]!;
    const last = parent.children[parent.children.length - 1];
    if (typeof last === 'string') parent.children[parent.children.length - 1] = last + value;
    else parent.children.push(value);
  };
  const flush = () => {
    if (pending === '') return;
    append(decodeReferences(pending, bare));
    pending = '';
  };
  const handler: Partial<Handler> = {
    onopentag(name, rawAttrs) {
      flush();
      // Thrown out of parser.write(): the document is not read further.
      if (stack.length > MAX_DEPTH) throw new FeedError('invalid_xml', `elements nested more than ${MAX_DEPTH} deep`);
      if (++count > MAX_ELEMENTS) throw new FeedError('too_large', `more than ${MAX_ELEMENTS} elements`);
      const parent = stack[stack.length - 1]!;
      const { el, scope } = openElement(name, rawAttrs, parent, scopes[scopes.length - 1]!, bare);
      parent.children.push(el);
      stack.push(el);
      scopes.push(scope);
    },
    ontext(raw) {
      // Raw text is gathered and decoded at the next tag, so a reference the tokenizer
      // happened to split is still decoded whole.
      if (inCdata) {
        flush();
        append(raw);
      } else pending += raw;
    },
    oncdatastart() {
      flush();
      inCdata = true;
    },
    oncdataend() {
      inCdata = false;
    },
    onclosetag(_name, isImplied) {
      flush();
      const el = stack.pop();
      scopes.pop();
      if (el === undefined || el === top) return;
      el.end = !isImplied ? 'tag' : ending ? 'eof' : 'ancestor';
      if (el.end === 'ancestor') repairs.add(`unclosed <${el.name}>`);
      if (el.end === 'eof') repairs.add(`document ends inside <${el.name}>`);
    },
  };
  return { top, handler, reachedEnd: () => void (ending = true), flush };
}
