import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { FeedError } from './feed-error.js';

/** An XML element with its children in document order (mixed content keeps its order). */
export interface XmlElement {
  /** the qualified name as written, e.g. "dc:date" */
  name: string;
  /** the name without its prefix, e.g. "date" */
  local: string;
  attrs: Record<string, string>;
  children: XmlNode[];
}
export type XmlNode = XmlElement | string;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // XML's own entities and character references; HTML entities are the HTML layer's business.
  htmlEntities: false,
  // Bounded DOCTYPE entities, so a "billion laughs" document cannot blow up memory.
  processEntities: { enabled: true, maxTotalExpansions: 10_000, maxExpandedLength: 1_000_000, maxEntityCount: 100 },
});

type Ordered = Record<string, unknown>;

function toNodes(list: unknown): XmlNode[] {
  if (!Array.isArray(list)) return [];
  const out: XmlNode[] = [];
  for (const raw of list as Ordered[]) {
    for (const [key, value] of Object.entries(raw)) {
      if (key === ':@') continue;
      if (key === '#text') {
        out.push(String(value));
        continue;
      }
      const attrs: Record<string, string> = {};
      for (const [k, v] of Object.entries((raw[':@'] as Ordered | undefined) ?? {})) attrs[k] = String(v);
      out.push({ name: key, local: key.slice(key.indexOf(':') + 1), attrs, children: toNodes(value) });
    }
  }
  return out;
}

/** The document element of well-formed XML; a FeedError('invalid_xml') for anything else. */
export function parseXml(text: string): XmlElement {
  const xml = text.trimStart();
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new FeedError('invalid_xml', `not well-formed XML (line ${valid.err.line}, column ${valid.err.col}): ${valid.err.msg}`);
  }
  let nodes: XmlNode[];
  try {
    nodes = toNodes(parser.parse(xml));
  } catch (err) {
    throw new FeedError('invalid_xml', `XML could not be read: ${(err as Error).message}`, { cause: err });
  }
  const root = nodes.find((n): n is XmlElement => typeof n !== 'string');
  if (root === undefined) throw new FeedError('invalid_xml', 'no document element');
  return root;
}

export const elements = (el: XmlElement, local?: string): XmlElement[] =>
  el.children.filter((c): c is XmlElement => typeof c !== 'string' && (local === undefined || c.local === local));

export const element = (el: XmlElement, local: string): XmlElement | undefined => elements(el, local)[0];

/** All text below `el`, in document order (CDATA included, as the parser merges it). */
export function textOf(el: XmlElement | undefined): string {
  if (el === undefined) return '';
  return el.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
}
