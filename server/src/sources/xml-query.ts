// Reading the element tree xml-tree.ts builds: children by local name, text, markup.
import type { XmlElement } from './xml-tree.js';

export const elements = (el: XmlElement, local?: string): XmlElement[] =>
  el.children.filter((c): c is XmlElement => typeof c !== 'string' && (local === undefined || c.local === local));

export const element = (el: XmlElement, local: string): XmlElement | undefined => elements(el, local)[0];

/** All text below `el`, in document order (CDATA included). */
export function textOf(el: XmlElement | undefined): string {
  if (el === undefined) return '';
  return el.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
}

const escapeText = (s: string) => s.replace(/&/gu, '&amp;').replace(/</gu, '&lt;').replace(/>/gu, '&gt;');

/** The children of `el` written back as markup (for inline XHTML content, read then as HTML). */
export function innerMarkup(el: XmlElement): string {
  return el.children
    .map((c) => {
      if (typeof c === 'string') return escapeText(c);
      const attrs = Object.entries(c.attrs)
        .map(([k, v]) => ` ${k}="${escapeText(v).replace(/"/gu, '&quot;')}"`)
        .join('');
      return `<${c.local}${attrs}>${innerMarkup(c)}</${c.local}>`;
    })
    .join('');
}
